using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;
using SomaAgent.Security.Access;

namespace SomaAgent.Engine.Conversations;

/// <summary>
/// The one owner of the writes that open sessions and start or stop their turns: a new session, the next turn
/// (now, or once the running one ends), a waiting input's turn, a cancel. The gateway calls it for requests and
/// the worker for inputs that waited in the queue. Every start goes through the group-commit writer
/// (<see cref="SessionWriteQueue"/>): the session, its messages and events in one transaction, and only then the
/// bus, so a request is never acknowledged with half of it stored; a turn stored as queued is the outbox entry
/// (recovery dispatches it again after a crash). Whether a status ends a turn is decided where the events are
/// built (<see cref="SessionEventBuilder.Status"/>).
/// </summary>
public sealed class SessionTurns(
    IDbContextFactory<SessionDbContext> dbFactory, SessionWriteQueue writes, IEventBus bus, IAccessChecker access, TimeProvider time)
{
    public static readonly TimeSpan IdempotencyKeyLifetime = TimeSpan.FromHours(24);
    public const string CreateSessionScope = "POST /v1/sessions";

    /// <summary>
    /// Stores session <paramref name="sessionId"/> with its first turn queued, or answers an earlier request with
    /// the same idempotency key (then <paramref name="sessionId"/> is unused).
    /// </summary>
    public async Task<CreateOutcome> CreateAsync(Guid sessionId, SessionOpening opening, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(opening);
        var now = time.GetUtcNow().UtcDateTime;
        var requestHash = idempotencyKey is null ? null : HashOf(opening);
        if (idempotencyKey is not null && await FindKeyAsync(opening.TenantId, idempotencyKey, now, cancellationToken) is { } earlier)
        {
            return await ReplayAsync(earlier, requestHash!, cancellationToken);
        }

        var session = new SessionRecord
        {
            Id = sessionId,
            TenantId = opening.TenantId,
            CreatedBy = opening.CreatedBy,
            Model = opening.Model,
            ToolsJson = JsonSerializer.Serialize(opening.Tools.ToList(), SessionJsonContext.Wire.ListString),
            MetadataJson = JsonSerializer.Serialize(new Dictionary<string, string>(opening.Metadata), SessionJsonContext.Wire.DictionaryStringString),
            ClientOptionsJson = opening.ClientOptionsJson,
            CapsuleJson = opening.Capsule is { } capsule ? JsonSerializer.Serialize(capsule, SessionJsonContext.Wire.SessionCapsule) : null,
            Status = SessionStatus.Queued,
            Turn = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var events = new SessionEventBuilder(session);
        if (opening.Capsule is { } attached)
        {
            events.Add(SessionEventTypes.CapsuleAttached, attached, SessionJsonContext.Wire.SessionCapsule, now);
        }
        var messages = ToRecords(session, opening.Messages, firstOrdinal: 0, events, now);
        events.Status(SessionStatus.Queued, now);
        session.LastSequence = events.LastSequence;
        var (records, announcement) = events.Drain();
        var key = idempotencyKey is null ? null : new IdempotencyRecord
        {
            TenantId = opening.TenantId,
            Scope = CreateSessionScope,
            Key = idempotencyKey,
            RequestHash = requestHash!,
            ResourceId = session.Id,
            CreatedAt = now,
            ExpiresAt = now + IdempotencyKeyLifetime,
        };

        // The relation first: a failure here leaves nothing behind, and a session never exists without it.
        await access.GrantAsync(opening.TenantId, ResourceRef.Session(session.Id), cancellationToken);
        try
        {
            await writes.WriteAsync(new SessionCreateWrite(session, messages, records, key));
        }
        catch (DbUpdateException) when (idempotencyKey is not null)
        {
            // A concurrent request with the same key won the insert: answer as its retry.
            var winner = await FindKeyAsync(opening.TenantId, idempotencyKey, now, cancellationToken) ?? throw new InvalidOperationException("Idempotency key vanished after a conflict.");
            return await ReplayAsync(winner, requestHash!, cancellationToken);
        }

        await PublishAsync(session.Id, session.Turn, announcement, cancellationToken);
        return new CreateOutcome.Created(session, announcement);
    }

    /// <summary>
    /// Adds the next user message. <see cref="TurnStrategy.Reject"/> refuses while a turn runs;
    /// <see cref="TurnStrategy.Enqueue"/> lets it wait for the running turn; <see cref="TurnStrategy.Interrupt"/>
    /// lets it wait and cancels the running turn, so it starts as soon as that turn has stopped.
    /// </summary>
    public async Task<NextTurn> PostAsync(Guid sessionId, string tenantId, string createdBy, IReadOnlyList<InputMessage> input, TurnStrategy strategy, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await _sessionForTurnQuery(db, sessionId, cancellationToken) is not { } found || found.Session.TenantId != tenantId)
        {
            return new NextTurn.NotFound();
        }
        var session = found.Session;
        if (SessionCapsule.Of(session) is { } capsule && capsule.AllowsNoTurnAfter(session.Turn))
        {
            return new NextTurn.LimitReached(capsule.Reference, capsule.MaxTurns!.Value);
        }
        if (strategy == TurnStrategy.Reject)
        {
            return await StartNextAsync(found, input, cancellationToken);
        }
        var outcome = await EnqueueAsync(found, createdBy, input, cancellationToken);
        if (strategy == TurnStrategy.Interrupt && outcome is NextTurn.Queued)
        {
            await RequestCancelAsync(sessionId, tenantId, cancellationToken);
        }
        return outcome;
    }

    /// <summary>Marks the running turn to stop and tells the worker running it.</summary>
    public async Task<TurnOutcome> RequestCancelAsync(Guid sessionId, string tenantId, CancellationToken cancellationToken)
    {
        var marked = await writes.WriteAsync(new CancelRequestWrite(sessionId, tenantId));
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.AsNoTracking()
            .Where(s => s.Id == sessionId && s.TenantId == tenantId)
            .Select(s => new { s.Status, s.Turn })
            .SingleOrDefaultAsync(cancellationToken);
        if (session is null)
        {
            return new TurnOutcome.NotFound();
        }
        if (!marked)
        {
            return new TurnOutcome.Conflict(session.Status, session.Turn);
        }
        await bus.PublishAsync(Topics.ConversationInbound, new TurnCancelRequested { SessionId = sessionId, Turn = session.Turn }, cancellationToken);
        return new TurnOutcome.Accepted(session.Turn, session.Status);
    }

    /// <summary>Starts the next turn if the latest one has ended; otherwise reports what runs.</summary>
    private async Task<NextTurn> StartNextAsync(SessionForTurn found, IReadOnlyList<InputMessage> input, CancellationToken cancellationToken)
    {
        var session = found.Session;
        if (!SessionStatus.IsEnded(session.Status))
        {
            return new NextTurn.Busy(session.Status, session.Turn);
        }
        return await TryStartAsync(found, input, queuedInput: null, cancellationToken) is { } started
            ? new NextTurn.Started(session.Turn, started)
            : new NextTurn.Busy(SessionStatus.Queued, session.Turn);
    }

    /// <summary>
    /// Starts the next turn now if the session is idle, else stores the input until the running turn ends
    /// (then the worker, or this call if the turn ended meanwhile, starts it).
    /// </summary>
    private async Task<NextTurn> EnqueueAsync(SessionForTurn found, string createdBy, IReadOnlyList<InputMessage> input, CancellationToken cancellationToken)
    {
        var session = found.Session;
        var sessionId = session.Id;
        // Counted on the session row with the waiting rows, so it was read with the session's status.
        var waiting = session.QueuedInputs;
        if (SessionStatus.IsEnded(session.Status) && waiting == 0 && await TryStartAsync(found, input, queuedInput: null, cancellationToken) is { } started)
        {
            return new NextTurn.Started(session.Turn, started);
        }

        var stored = await writes.WriteAsync(new QueuedInputWrite(new QueuedInputRecord
        {
            Id = Guid.CreateVersion7(),
            SessionId = sessionId,
            TenantId = session.TenantId,
            CreatedBy = createdBy,
            MessagesJson = JsonSerializer.Serialize(input.ToList(), SessionJsonContext.Wire.ListInputMessage),
            CreatedAt = time.GetUtcNow().UtcDateTime,
        }));
        if (!stored)
        {
            return new NextTurn.NotFound();
        }
        // The running turn may have ended between the read and the insert, too late to see this input.
        await StartQueuedAsync(sessionId, cancellationToken);
        return new NextTurn.Queued(waiting + 1, session.Turn);
    }

    /// <summary>Starts the oldest waiting input as the next turn if the session is idle. True if it started one.</summary>
    public async Task<bool> StartQueuedAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var next = await _oldestQueuedQuery(db, sessionId, cancellationToken);
        if (next is null)
        {
            return false;
        }
        if (await _sessionForTurnQuery(db, sessionId, cancellationToken) is not { } found || !SessionStatus.IsEnded(found.Session.Status))
        {
            return false;
        }
        var input = JsonSerializer.Deserialize(next.MessagesJson, SessionJsonContext.Wire.ListInputMessage) ?? [];
        return await TryStartAsync(found, input, next.Id, cancellationToken) is not null;
    }

    // The session with the ordinal of its last message, in one statement (a next turn numbers its messages after it).
    // Compiled, per instance: every next turn reads it.
    private readonly Func<SessionDbContext, Guid, CancellationToken, Task<SessionForTurn?>> _sessionForTurnQuery = EF.CompileAsyncQuery(
        (SessionDbContext db, Guid sessionId, CancellationToken _) => db.Sessions.AsNoTracking()
            .Where(s => s.Id == sessionId)
            .Select(s => new SessionForTurn(s, db.Messages.Where(m => m.SessionId == s.Id).Max(m => (int?)m.Ordinal) ?? -1))
            .SingleOrDefault());

    /// <summary>A session as a next turn starts from it: the row, and the ordinal of its last message (-1 when it has none).</summary>
    private sealed record SessionForTurn(SessionRecord Session, int LastOrdinal);

    // Compiled: every turn's end asks it, and EF's cache lookup of a LINQ query costs more than the read. Per instance.
    private readonly Func<SessionDbContext, Guid, CancellationToken, Task<QueuedInputRecord?>> _oldestQueuedQuery = EF.CompileAsyncQuery(
        (SessionDbContext db, Guid sessionId, CancellationToken _) => db.QueuedInputs.AsNoTracking().Where(q => q.SessionId == sessionId).OrderBy(q => q.Id).FirstOrDefault());

    /// <summary>Stores a new turn's messages and events, numbered after what the session has.</summary>
    private static List<MessageRecord> ToRecords(SessionRecord session, IReadOnlyList<InputMessage> input, int firstOrdinal, SessionEventBuilder events, DateTime now)
    {
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

    /// <summary>
    /// Takes <paramref name="capsule"/> on for the session's next turn: its tools become the session's, its system
    /// prompt (when it has one) joins the transcript, and a <c>capsule.attached</c> event says so. Only between turns.
    /// </summary>
    public Task<AttachOutcome> AttachCapsuleAsync(Guid sessionId, string tenantId, SessionCapsule capsule, string? systemPrompt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(capsule);
        // Its limits count from the turn it applies to: the next one.
        return ChangeCapsuleAsync(sessionId, tenantId, (_, latestTurn) => capsule with { FromTurn = latestTurn + 1 },
            SessionEventTypes.CapsuleAttached, systemPrompt, setTools: true, cancellationToken);
    }

    /// <summary>
    /// Records, between turns, that the session's capsule version fell out of good standing (<paramref name="reason"/>):
    /// the session goes on with it, its capsule says why, and a <c>capsule.flagged</c> event tells its clients.
    /// </summary>
    public Task<AttachOutcome> FlagCapsuleAsync(Guid sessionId, string tenantId, string reason, CancellationToken cancellationToken) =>
        ChangeCapsuleAsync(sessionId, tenantId, (current, _) => current is null ? null : current with { Flagged = reason },
            SessionEventTypes.CapsuleFlagged, systemPrompt: null, setTools: false, cancellationToken);

    private async Task<AttachOutcome> ChangeCapsuleAsync(
        Guid sessionId, string tenantId, Func<SessionCapsule?, int, SessionCapsule?> change, string eventType, string? systemPrompt, bool setTools, CancellationToken cancellationToken)
    {
        (string Status, int Turn) seen = (SessionStatus.Queued, 0);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (await _sessionForTurnQuery(db, sessionId, cancellationToken) is not { } found || found.Session.TenantId != tenantId
                || change(SessionCapsule.Of(found.Session), found.Session.Turn) is not { } capsule)
            {
                return new AttachOutcome.NotFound();
            }
            var session = found.Session;
            if (!SessionStatus.IsEnded(session.Status))
            {
                return new AttachOutcome.Conflict(session.Status, session.Turn);
            }
            seen = (session.Status, session.Turn);
            var now = time.GetUtcNow().UtcDateTime;
            var seenLastSequence = session.LastSequence;
            var events = new SessionEventBuilder(session);
            events.Add(eventType, capsule, SessionJsonContext.Wire.SessionCapsule, now);
            var messages = systemPrompt is { Length: > 0 }
                ? ToRecords(session, [new InputMessage(MessageRoles.System, systemPrompt)], found.LastOrdinal + 1, events, now)
                : [];
            var (records, announcement) = events.Drain();
            var write = new CapsuleAttachWrite(session.Id, session.Turn, seenLastSequence, events.LastSequence,
                JsonSerializer.Serialize(capsule, SessionJsonContext.Wire.SessionCapsule),
                setTools ? JsonSerializer.Serialize(capsule.Tools.ToList(), SessionJsonContext.Wire.ListString) : null,
                messages, records, now);
            if (await writes.WriteAsync(write))
            {
                await bus.PublishAsync(Topics.SessionEvents, announcement, cancellationToken);
                return new AttachOutcome.Attached(capsule);
            }
            // Something was written between the read and the write (a turn started, another change): look again.
        }
        return new AttachOutcome.Conflict(seen.Status, seen.Turn);
    }

    /// <summary>Publishes a stored turn: first its events to the streams, then the turn to the workers.</summary>
    private async Task PublishAsync(Guid sessionId, int turn, SessionEventsAppended announcement, CancellationToken cancellationToken)
    {
        await bus.PublishAsync(Topics.SessionEvents, announcement, cancellationToken);
        await bus.PublishAsync(Topics.ConversationInbound, new TurnRequested { SessionId = sessionId, Turn = turn }, cancellationToken);
    }

    /// <summary>
    /// Moves <paramref name="found"/>'s session (as read, ended) to its next turn through the writer. Only one caller wins:
    /// the write matches the turn that was seen ended. The session then describes the new turn, and the
    /// answer is its first events as announced; null when another start won.
    /// </summary>
    private async Task<SessionEventsAppended?> TryStartAsync(SessionForTurn found, IReadOnlyList<InputMessage> input, Guid? queuedInput, CancellationToken cancellationToken)
    {
        var session = found.Session;
        var now = time.GetUtcNow().UtcDateTime;
        var seenTurn = session.Turn;
        session.Turn++;
        session.Status = SessionStatus.Queued;
        var events = new SessionEventBuilder(session);
        var messages = ToRecords(session, input, found.LastOrdinal + 1, events, now);
        events.Status(SessionStatus.Queued, now);
        var (records, announcement) = events.Drain();

        if (!await writes.WriteAsync(new TurnStartWrite(session.Id, seenTurn, events.LastSequence, messages, records, queuedInput, now)))
        {
            return null;
        }
        await PublishAsync(session.Id, session.Turn, announcement, cancellationToken);
        return announcement;
    }

    private async Task<IdempotencyRecord?> FindKeyAsync(string tenantId, string key, DateTime now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.IdempotencyKeys.AsNoTracking().SingleOrDefaultAsync(
            k => k.TenantId == tenantId && k.Scope == CreateSessionScope && k.Key == key && k.ExpiresAt > now,
            cancellationToken);
    }

    private async Task<CreateOutcome> ReplayAsync(IdempotencyRecord earlier, string requestHash, CancellationToken cancellationToken)
    {
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(earlier.RequestHash), Encoding.ASCII.GetBytes(requestHash)))
        {
            return new CreateOutcome.KeyReused();
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == earlier.ResourceId, cancellationToken);
        return new CreateOutcome.Replayed(session);
    }

    /// <summary>SHA-256 of the normalized request, so equal requests match whatever their JSON formatting.</summary>
    private static string HashOf(SessionOpening opening)
    {
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new
        {
            model = opening.Model,
            messages = opening.Messages.Select(m => new[] { m.Role, m.Content }),
            tools = opening.Tools,
            metadata = opening.Metadata,
            capsule = opening.Capsule?.Reference,
        });
        return Convert.ToHexStringLower(SHA256.HashData(canonical));
    }
}
