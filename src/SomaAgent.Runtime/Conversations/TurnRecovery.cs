using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Runtime.Conversations;

/// <summary>
/// At start-up, settles the turns a previous process left behind: a queued turn is dispatched again (the
/// store is the outbox), and a turn that was running when the process died ends <c>failed</c> with the
/// reason, keeping its partial output. It assumes this worker is the only one (the embedded topology);
/// the Kafka issue replaces it with leases for several workers.
/// </summary>
public sealed partial class TurnRecovery(
    IDbContextFactory<SessionDbContext> dbFactory,
    SessionWriteQueue writes,
    IEventBus bus,
    TimeProvider time,
    ILogger<TurnRecovery> logger) : IHostedService
{
    public const string InterruptedByCrash = "interrupted: the worker stopped while the turn was running";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var unfinished = await db.Sessions.AsNoTracking()
            .Where(s => s.Status == SessionStatus.Queued || s.Status == SessionStatus.Running || s.Status == SessionStatus.WaitingTool)
            .ToListAsync(cancellationToken);

        foreach (var session in unfinished)
        {
            if (session.Status == SessionStatus.Queued)
            {
                await bus.PublishAsync(Topics.ConversationInbound, new TurnRequested { SessionId = session.Id, Turn = session.Turn }, cancellationToken);
                continue;
            }
            var writer = new TurnEventWriter(session, writes, bus, time);
            writer.Output.Append(session.Output);
            writer.Add(SessionEventTypes.Error, new ErrorEventData("interrupted", InterruptedByCrash), SessionJsonContext.Wire.ErrorEventData);
            await writer.SetStatusAsync(SessionStatus.Failed, InterruptedByCrash);
        }
        if (unfinished.Count > 0)
        {
            LogRecovered(unfinished.Count(s => s.Status == SessionStatus.Queued), unfinished.Count(s => s.Status != SessionStatus.Queued));
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning, Message = "Recovered unfinished turns: {Requeued} dispatched again, {Failed} ended as failed")]
    private partial void LogRecovered(int requeued, int failed);
}
