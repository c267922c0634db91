using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Gateway.Tenancy;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Gateway.Sessions;

/// <summary>
/// Writes that start or stop turns. Each stores the session, its messages and events in one transaction
/// and only then publishes to the bus, so a request is never acknowledged with half of it stored; a turn
/// stored as queued is the outbox entry (recovery dispatches it again after a crash).
/// </summary>
public sealed class SessionCommands(IDbContextFactory<SessionDbContext> dbFactory, IEventBus bus, TimeProvider time)
{
    public static readonly TimeSpan IdempotencyKeyLifetime = TimeSpan.FromHours(24);
    public const string CreateSessionScope = "POST /v1/sessions";

    public async Task<CreateOutcome> CreateAsync(Caller caller, NewSession request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var requestHash = idempotencyKey is null ? null : HashOf(request);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        if (idempotencyKey is not null && await FindKeyAsync(db, caller, idempotencyKey, now, cancellationToken) is { } earlier)
        {
            return await ReplayAsync(db, earlier, requestHash!, cancellationToken);
        }

        var session = new SessionRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = caller.TenantId,
            CreatedBy = caller.Subject,
            Model = request.Model,
            ToolsJson = JsonSerializer.Serialize(request.Tools.ToList(), SessionJsonContext.Wire.ListString),
            MetadataJson = JsonSerializer.Serialize(new Dictionary<string, string>(request.Metadata), SessionJsonContext.Wire.DictionaryStringString),
            ClientOptionsJson = request.ClientOptionsJson,
            Status = SessionStatus.Queued,
            Turn = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var events = new SessionEventBuilder(session);
        var messages = ToRecords(session, request.Messages, firstOrdinal: 0, events, now);
        events.Status(SessionStatus.Queued, now);
        session.LastSequence = events.LastSequence;
        var (records, announcement) = events.Drain();

        db.Sessions.Add(session);
        db.Messages.AddRange(messages);
        db.Events.AddRange(records);
        if (idempotencyKey is not null)
        {
            await db.IdempotencyKeys
                .Where(k => k.TenantId == caller.TenantId && k.Scope == CreateSessionScope && k.Key == idempotencyKey && k.ExpiresAt <= now)
                .ExecuteDeleteAsync(cancellationToken);
            db.IdempotencyKeys.Add(new IdempotencyRecord
            {
                TenantId = caller.TenantId,
                Scope = CreateSessionScope,
                Key = idempotencyKey,
                RequestHash = requestHash!,
                ResourceId = session.Id,
                CreatedAt = now,
                ExpiresAt = now + IdempotencyKeyLifetime,
            });
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (idempotencyKey is not null)
        {
            // A concurrent request with the same key won the insert: answer as its retry.
            await using var fresh = await dbFactory.CreateDbContextAsync(cancellationToken);
            var winner = await FindKeyAsync(fresh, caller, idempotencyKey, now, cancellationToken) ?? throw new InvalidOperationException("Idempotency key vanished after a conflict.");
            return await ReplayAsync(fresh, winner, requestHash!, cancellationToken);
        }

        await PublishAsync(session.Id, session.Turn, announcement, cancellationToken);
        return new CreateOutcome.Created(session);
    }

    public async Task<TurnOutcome> StartNextTurnAsync(Caller caller, Guid sessionId, IReadOnlyList<MessageInput> input, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var session = await db.Sessions.SingleOrDefaultAsync(s => s.Id == sessionId && s.TenantId == caller.TenantId, cancellationToken);
        if (session is null)
        {
            return new TurnOutcome.NotFound();
        }
        if (!SessionStatus.IsEnded(session.Status))
        {
            return new TurnOutcome.Conflict(session.Status, session.Turn);
        }

        var seenTurn = session.Turn;
        session.Turn++;
        session.Status = SessionStatus.Queued;
        session.StatusReason = null;
        session.Output = "";
        session.CancelRequested = false;
        session.UpdatedAt = now;
        var nextOrdinal = await db.Messages.Where(m => m.SessionId == sessionId).Select(m => (int?)m.Ordinal).MaxAsync(cancellationToken) ?? -1;
        var events = new SessionEventBuilder(session);
        var messages = ToRecords(session, input, nextOrdinal + 1, events, now);
        events.Status(SessionStatus.Queued, now);
        var (records, announcement) = events.Drain();

        // Only one request may start the next turn: the update matches the turn this request saw ended.
        var won = await db.Sessions
            .Where(s => s.Id == sessionId && s.Turn == seenTurn && (s.Status == SessionStatus.Completed || s.Status == SessionStatus.Failed || s.Status == SessionStatus.Cancelled))
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Turn, session.Turn)
                .SetProperty(x => x.Status, SessionStatus.Queued)
                .SetProperty(x => x.StatusReason, (string?)null)
                .SetProperty(x => x.Output, "")
                .SetProperty(x => x.CancelRequested, false)
                .SetProperty(x => x.LastSequence, events.LastSequence)
                .SetProperty(x => x.UpdatedAt, now), cancellationToken);
        if (won == 0)
        {
            return new TurnOutcome.Conflict(SessionStatus.Queued, session.Turn);
        }
        db.ChangeTracker.Clear();
        db.Messages.AddRange(messages);
        db.Events.AddRange(records);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        await PublishAsync(sessionId, session.Turn, announcement, cancellationToken);
        return new TurnOutcome.Accepted(session.Turn, SessionStatus.Queued);
    }

    public async Task<TurnOutcome> RequestCancelAsync(Caller caller, Guid sessionId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var marked = await db.Sessions
            .Where(s => s.Id == sessionId && s.TenantId == caller.TenantId
                && (s.Status == SessionStatus.Queued || s.Status == SessionStatus.Running || s.Status == SessionStatus.WaitingTool))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.CancelRequested, true), cancellationToken);
        var session = await db.Sessions.AsNoTracking()
            .Where(s => s.Id == sessionId && s.TenantId == caller.TenantId)
            .Select(s => new { s.Status, s.Turn })
            .SingleOrDefaultAsync(cancellationToken);
        if (session is null)
        {
            return new TurnOutcome.NotFound();
        }
        if (marked == 0)
        {
            return new TurnOutcome.Conflict(session.Status, session.Turn);
        }
        await bus.PublishAsync(Topics.ConversationInbound, new TurnCancelRequested { SessionId = sessionId, Turn = session.Turn }, cancellationToken);
        return new TurnOutcome.Accepted(session.Turn, session.Status);
    }

    private async Task PublishAsync(Guid sessionId, int turn, SessionEventsAppended announcement, CancellationToken cancellationToken)
    {
        await bus.PublishAsync(Topics.SessionEvents, announcement, cancellationToken);
        await bus.PublishAsync(Topics.ConversationInbound, new TurnRequested { SessionId = sessionId, Turn = turn }, cancellationToken);
    }

    private static List<MessageRecord> ToRecords(SessionRecord session, IReadOnlyList<MessageInput> input, int firstOrdinal, SessionEventBuilder events, DateTime now)
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

    private static Task<IdempotencyRecord?> FindKeyAsync(SessionDbContext db, Caller caller, string key, DateTime now, CancellationToken cancellationToken) =>
        db.IdempotencyKeys.AsNoTracking().SingleOrDefaultAsync(
            k => k.TenantId == caller.TenantId && k.Scope == CreateSessionScope && k.Key == key && k.ExpiresAt > now,
            cancellationToken);

    private static async Task<CreateOutcome> ReplayAsync(SessionDbContext db, IdempotencyRecord earlier, string requestHash, CancellationToken cancellationToken)
    {
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(earlier.RequestHash), Encoding.ASCII.GetBytes(requestHash)))
        {
            return new CreateOutcome.KeyReused();
        }
        var session = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == earlier.ResourceId, cancellationToken);
        return new CreateOutcome.Replayed(session);
    }

    /// <summary>SHA-256 of the normalized request, so equal requests match whatever their JSON formatting.</summary>
    private static string HashOf(NewSession request)
    {
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new
        {
            model = request.Model,
            messages = request.Messages.Select(m => new[] { m.Role, m.Content }),
            tools = request.Tools,
            metadata = request.Metadata,
        });
        return Convert.ToHexStringLower(SHA256.HashData(canonical));
    }
}

/// <summary>How <see cref="SessionCommands.CreateAsync"/> ended.</summary>
public abstract record CreateOutcome
{
    public sealed record Created(SessionRecord Session) : CreateOutcome;
    public sealed record Replayed(SessionRecord Session) : CreateOutcome;
    public sealed record KeyReused : CreateOutcome;
}

/// <summary>How a turn command ended.</summary>
public abstract record TurnOutcome
{
    public sealed record Accepted(int Turn, string Status) : TurnOutcome;
    public sealed record NotFound : TurnOutcome;
    public sealed record Conflict(string Status, int Turn) : TurnOutcome;
}
