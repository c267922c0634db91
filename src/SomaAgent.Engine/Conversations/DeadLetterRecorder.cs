using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SomaAgent.Runtime;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Engine.Conversations;

/// <summary>
/// What happens to a session when a message about it is parked as poison: its latest turn ends <c>failed</c>
/// with the reason and an <c>error</c> event, so the client sees why instead of waiting forever. The write goes
/// through the group-commit writer (<see cref="TurnFailWrite"/>) and takes a new lease epoch, which fences off any
/// worker still running the turn. The events are announced on the bus that parked the message (passed in: the
/// bus itself depends on this recorder, which is why this is not part of <see cref="SessionTurns"/>), so streams
/// show the failure at once.
/// </summary>
public sealed partial class DeadLetterRecorder(
    IDbContextFactory<SessionDbContext> dbFactory,
    SessionWriteQueue writes,
    TimeProvider time,
    ILogger<DeadLetterRecorder> logger) : IDeadLetterHandler
{
    private const int Attempts = 5;

    /// <summary>Fails the session the parked message was about and announces that on <paramref name="bus"/>.</summary>
    public async Task HandleAsync(IEventBus bus, string topic, string? key, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bus);
        RuntimeDiagnostics.MessagesDeadLettered.Add(1, new KeyValuePair<string, object?>("topic", topic));
        // session.events only feeds live streams; the session itself is fine.
        if (topic == Topics.SessionEvents || !Guid.TryParse(key, out var sessionId))
        {
            LogParked(topic, key, reason);
            return;
        }
        var parkedReason = Truncate($"A message for this session on {topic} could not be processed and was parked in {Topics.DeadLetter(topic)}: {reason}");
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var outcome = await TryFailAsync(sessionId, parkedReason, cancellationToken);
            if (outcome is not null)
            {
                LogSessionFailed(topic, sessionId, reason);
                if (outcome.Events.Count > 0)
                {
                    await bus.PublishAsync(Topics.SessionEvents, outcome, cancellationToken);
                }
                return;
            }
        }
        LogParked(topic, key, reason);
    }

    /// <summary>The announcement of the stored events; empty when the turn had already ended; null on a write race.</summary>
    private async Task<SessionEventsAppended?> TryFailAsync(Guid sessionId, string reason, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId, cancellationToken);
        if (session is null || SessionStatus.IsEnded(session.Status))
        {
            return new SessionEventsAppended { SessionId = sessionId, Events = [] };
        }
        var now = time.GetUtcNow().UtcDateTime;
        var events = new SessionEventBuilder(session);
        events.Add(SessionEventTypes.Error, new ErrorEventData("dead_letter", reason), SessionJsonContext.Wire.ErrorEventData, now);
        session.Status = SessionStatus.Failed;
        events.Status(SessionStatus.Failed, now, reason);
        var (records, announcement) = events.Drain();

        var won = await writes.WriteAsync(new TurnFailWrite(session.Id, session.LeaseEpoch, session.LastSequence, events.LastSequence, reason, records, now));
        return won ? announcement : null;
    }

    private static string Truncate(string reason) => reason.Length <= 2000 ? reason : reason[..2000];

    [LoggerMessage(EventId = 1110, Level = LogLevel.Error, Message = "Parked a message on {Topic} (key {Key}): {Error}")]
    private partial void LogParked(string topic, string? key, string error);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Error, Message = "A message on {Topic} was parked; session {SessionId} ended failed: {Error}")]
    private partial void LogSessionFailed(string topic, Guid sessionId, string error);
}
