using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Engine.Conversations.Leases;

/// <summary>
/// The safety net that makes a stored turn the outbox: at start-up and then periodically, every worker looks
/// for turns no worker is running and dispatches them again — turns queued with no claim for a while (their
/// dispatch was lost), turns whose lease expired (their worker died) and messages left waiting behind a turn
/// that has ended. A dispatch is idempotent (the claim is compare-and-set), so workers sweeping at once is safe.
/// </summary>
public sealed partial class TurnSweeper(
    IDbContextFactory<SessionDbContext> dbFactory,
    IEventBus bus,
    SessionTurns turns,
    IOptions<ConversationOptions> options,
    TimeProvider time,
    ILogger<TurnSweeper> logger) : BackgroundService
{
    public const int MaxPerSweep = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var atStart = true;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepIntervalSeconds), time);
        do
        {
            try
            {
                await SweepAsync(atStart, stoppingToken);
                atStart = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSweepFailed(ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>One pass; at start-up every queued turn is dispatched again, not only the old ones.</summary>
    public async Task<int> SweepAsync(bool atStart, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var queuedBefore = atStart ? now : now - TimeSpan.FromSeconds(options.Value.RedispatchAfterSeconds);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var orphaned = await db.Sessions.AsNoTracking()
            // A queued turn holds no lease: the claim that takes it sets running and the lease together.
            .Where(s => (s.Status == SessionStatus.Queued && s.UpdatedAt <= queuedBefore)
                || ((s.Status == SessionStatus.Running || s.Status == SessionStatus.WaitingTool) && (s.LeaseExpiresAt == null || s.LeaseExpiresAt <= now)))
            .OrderBy(s => s.UpdatedAt)
            .Select(s => new { s.Id, s.Turn })
            .Take(MaxPerSweep)
            .ToListAsync(cancellationToken);
        foreach (var session in orphaned)
        {
            await bus.PublishAsync(Topics.ConversationInbound, new TurnRequested { SessionId = session.Id, Turn = session.Turn }, cancellationToken);
        }

        var waiting = await db.QueuedInputs.AsNoTracking()
            .Join(db.Sessions.Where(s => s.Status == SessionStatus.Completed || s.Status == SessionStatus.Failed || s.Status == SessionStatus.Cancelled),
                q => q.SessionId, s => s.Id, (q, s) => q.SessionId)
            .Distinct()
            .OrderBy(id => id)
            .Take(MaxPerSweep)
            .ToListAsync(cancellationToken);
        foreach (var sessionId in waiting)
        {
            await turns.StartQueuedAsync(sessionId, cancellationToken);
        }

        var count = orphaned.Count + waiting.Count;
        if (count > 0)
        {
            RuntimeDiagnostics.TurnsRedispatched.Add(count);
            LogRedispatched(orphaned.Count, waiting.Count);
        }
        return count;
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1500, Level = LogLevel.Warning, Message = "Dispatched unclaimed turns again: {Turns} turns, {Waiting} sessions with waiting messages")]
    private partial void LogRedispatched(int turns, int waiting);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Sweeping for unclaimed turns failed")]
    private partial void LogSweepFailed(Exception exception);
}
