using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Engine.Conversations;

/// <summary>
/// Starts the next turn of a session, now or once the running one ends. The gateway calls it for posted
/// messages and the worker for messages that waited in the queue. Each start stores the turn, its messages
/// and events in one transaction before it publishes: the stored queued turn is the outbox entry.
/// </summary>
public sealed class SessionTurns(IDbContextFactory<SessionDbContext> dbFactory, IEventBus bus, TimeProvider time)
{
    /// <summary>Starts the next turn if the latest one has ended; otherwise reports what runs.</summary>
    public async Task<NextTurn> StartNextAsync(Guid sessionId, string tenantId, IReadOnlyList<InputMessage> input, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId && s.TenantId == tenantId, cancellationToken);
        if (session is null)
        {
            return new NextTurn.NotFound();
        }
        if (!SessionStatus.IsEnded(session.Status))
        {
            return new NextTurn.Busy(session.Status, session.Turn);
        }
        return await TryStartAsync(db, session, input, queuedInput: null, cancellationToken)
            ? new NextTurn.Started(session.Turn)
            : new NextTurn.Busy(SessionStatus.Queued, session.Turn);
    }

    /// <summary>
    /// Starts the next turn now if the session is idle, else stores the input until the running turn ends
    /// (then the worker, or this call if the turn ended meanwhile, starts it).
    /// </summary>
    public async Task<NextTurn> EnqueueAsync(Guid sessionId, string tenantId, string createdBy, IReadOnlyList<InputMessage> input, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sessionId && s.TenantId == tenantId, cancellationToken);
        if (session is null)
        {
            return new NextTurn.NotFound();
        }
        var waiting = await db.QueuedInputs.CountAsync(q => q.SessionId == sessionId, cancellationToken);
        if (SessionStatus.IsEnded(session.Status) && waiting == 0 && await TryStartAsync(db, session, input, queuedInput: null, cancellationToken))
        {
            return new NextTurn.Started(session.Turn);
        }

        db.QueuedInputs.Add(new QueuedInputRecord
        {
            Id = Guid.CreateVersion7(),
            SessionId = sessionId,
            TenantId = tenantId,
            CreatedBy = createdBy,
            MessagesJson = JsonSerializer.Serialize(input.ToList(), SessionJsonContext.Wire.ListInputMessage),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(cancellationToken);
        // The running turn may have ended between the read and the insert, too late to see this input.
        await StartQueuedAsync(sessionId, cancellationToken);
        return new NextTurn.Queued(waiting + 1, session.Turn);
    }

    /// <summary>Starts the oldest waiting input as the next turn if the session is idle. True if it started one.</summary>
    public async Task<bool> StartQueuedAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var next = await db.QueuedInputs.AsNoTracking().Where(q => q.SessionId == sessionId).OrderBy(q => q.Id).FirstOrDefaultAsync(cancellationToken);
        if (next is null)
        {
            return false;
        }
        var session = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == sessionId, cancellationToken);
        if (!SessionStatus.IsEnded(session.Status))
        {
            return false;
        }
        var input = JsonSerializer.Deserialize(next.MessagesJson, SessionJsonContext.Wire.ListInputMessage) ?? [];
        return await TryStartAsync(db, session, input, next.Id, cancellationToken);
    }

    /// <summary>Stores a new turn's messages and events, numbered after what the session has.</summary>
    public static List<MessageRecord> ToRecords(SessionRecord session, IReadOnlyList<InputMessage> input, int firstOrdinal, SessionEventBuilder events, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(events);
        var records = new List<MessageRecord>(input.Count);
        foreach (var message in input)
        {
            records.Add(new MessageRecord
            {
                SessionId = session.Id,
                Ordinal = firstOrdinal + records.Count,
                TenantId = session.TenantId,
                CreatedBy = session.CreatedBy,
                Turn = session.Turn,
                Role = message.Role,
                Content = message.Content,
                ToolCallsJson = message.ToolCallsJson,
                ToolCallId = message.ToolCallId,
                ToolName = message.ToolName,
                CreatedAt = now,
            });
            events.Add(SessionEventTypes.MessageCreated, new MessageEventData(message.Role, message.Content, session.Turn), SessionJsonContext.Wire.MessageEventData, now);
        }
        return records;
    }

    /// <summary>Publishes a stored turn: first its events to the streams, then the turn to the workers.</summary>
    public async Task PublishAsync(Guid sessionId, int turn, SessionEventsAppended announcement, CancellationToken cancellationToken)
    {
        await bus.PublishAsync(Topics.SessionEvents, announcement, cancellationToken);
        await bus.PublishAsync(Topics.ConversationInbound, new TurnRequested { SessionId = sessionId, Turn = turn }, cancellationToken);
    }

    /// <summary>
    /// Moves <paramref name="session"/> (as read, ended) to its next turn. Only one caller wins: the update
    /// matches the turn that was seen ended. <paramref name="session"/> then describes the new turn.
    /// </summary>
    private async Task<bool> TryStartAsync(SessionDbContext db, SessionRecord session, IReadOnlyList<InputMessage> input, Guid? queuedInput, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var seenTurn = session.Turn;
        session.Turn++;
        session.Status = SessionStatus.Queued;
        var nextOrdinal = await db.Messages.Where(m => m.SessionId == session.Id).Select(m => (int?)m.Ordinal).MaxAsync(cancellationToken) ?? -1;
        var events = new SessionEventBuilder(session);
        var messages = ToRecords(session, input, nextOrdinal + 1, events, now);
        events.Status(SessionStatus.Queued, now);
        var (records, announcement) = events.Drain();

        var won = await db.Sessions
            .Where(s => s.Id == session.Id && s.Turn == seenTurn && (s.Status == SessionStatus.Completed || s.Status == SessionStatus.Failed || s.Status == SessionStatus.Cancelled))
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Turn, session.Turn)
                .SetProperty(x => x.Status, SessionStatus.Queued)
                .SetProperty(x => x.StatusReason, (string?)null)
                .SetProperty(x => x.Output, "")
                .SetProperty(x => x.CancelRequested, false)
                .SetProperty(x => x.TurnAttempts, 0)
                .SetProperty(x => x.LeaseOwner, (string?)null)
                .SetProperty(x => x.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(x => x.LastSequence, events.LastSequence)
                .SetProperty(x => x.UpdatedAt, now), cancellationToken);
        if (won == 0)
        {
            return false;
        }
        if (queuedInput is { } id && await db.QueuedInputs.Where(q => q.Id == id).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            // Another caller started this input already; leave everything as it was.
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }
        db.ChangeTracker.Clear();
        db.Messages.AddRange(messages);
        db.Events.AddRange(records);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        await PublishAsync(session.Id, session.Turn, announcement, cancellationToken);
        return true;
    }
}

/// <summary>How a request for the next turn ended.</summary>
public abstract record NextTurn
{
    /// <summary>The turn was stored as queued and dispatched.</summary>
    public sealed record Started(int Turn) : NextTurn;

    /// <summary>The input waits behind the running turn <paramref name="RunningTurn"/>, at <paramref name="Position"/> (from 1).</summary>
    public sealed record Queued(int Position, int RunningTurn) : NextTurn;

    /// <summary>A turn is in progress.</summary>
    public sealed record Busy(string Status, int Turn) : NextTurn;

    public sealed record NotFound : NextTurn;
}
