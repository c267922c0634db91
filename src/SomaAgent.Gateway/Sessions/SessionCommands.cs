using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Engine.Conversations;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;
using SomaAgent.Security;
using SomaAgent.Security.Access;
using SomaAgent.Security.Identity;

namespace SomaAgent.Gateway.Sessions;

/// <summary>
/// Writes that start or stop turns. Each stores the session, its messages and events in one transaction
/// and only then publishes to the bus, so a request is never acknowledged with half of it stored; a turn
/// stored as queued is the outbox entry (recovery dispatches it again after a crash).
/// </summary>
public sealed class SessionCommands(IDbContextFactory<SessionDbContext> dbFactory, SessionTurns turns, IEventBus bus, IAccessChecker access, TimeProvider time)
{
    public static readonly TimeSpan IdempotencyKeyLifetime = TimeSpan.FromHours(24);
    public const string CreateSessionScope = "POST /v1/sessions";

    /// <summary>
    /// Stores session <paramref name="sessionId"/> with its first turn queued, or answers an earlier request with
    /// the same idempotency key (then <paramref name="sessionId"/> is unused).
    /// </summary>
    public async Task<CreateOutcome> CreateAsync(Caller caller, Guid sessionId, NewSession request, string? idempotencyKey, CancellationToken cancellationToken)
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
            Id = sessionId,
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
        var messages = SessionTurns.ToRecords(session, [.. request.Messages.Select(ToInput)], firstOrdinal: 0, events, now);
        events.Status(SessionStatus.Queued, now);
        session.LastSequence = events.LastSequence;
        var (records, announcement) = events.Drain();

        // The relation first: a failure here leaves nothing behind, and a session never exists without it.
        await access.GrantAsync(caller.TenantId, ResourceRef.Session(session.Id), cancellationToken);
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

        await turns.PublishAsync(session.Id, session.Turn, announcement, cancellationToken);
        return new CreateOutcome.Created(session);
    }

    /// <summary>
    /// Adds the next user message. <see cref="TurnStrategy.Reject"/> refuses while a turn runs;
    /// <see cref="TurnStrategy.Enqueue"/> lets it wait for the running turn; <see cref="TurnStrategy.Interrupt"/>
    /// lets it wait and cancels the running turn, so it starts as soon as that turn has stopped.
    /// </summary>
    public async Task<NextTurn> PostMessageAsync(Caller caller, Guid sessionId, IReadOnlyList<MessageInput> input, TurnStrategy strategy, CancellationToken cancellationToken)
    {
        var messages = input.Select(ToInput).ToList();
        if (strategy == TurnStrategy.Reject)
        {
            return await turns.StartNextAsync(sessionId, caller.TenantId, messages, cancellationToken);
        }
        var outcome = await turns.EnqueueAsync(sessionId, caller.TenantId, caller.Subject, messages, cancellationToken);
        if (strategy == TurnStrategy.Interrupt && outcome is NextTurn.Queued)
        {
            await RequestCancelAsync(caller, sessionId, cancellationToken);
        }
        return outcome;
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

    private static InputMessage ToInput(MessageInput message) =>
        new(message.Role, message.Content, message.ToolCallsJson, message.ToolCallId, message.ToolName);

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

/// <summary>What <c>POST /v1/sessions/{id}/messages</c> does while a turn runs (<c>?strategy=</c>).</summary>
public enum TurnStrategy
{
    /// <summary>409: the client posts again once the turn has ended (the default).</summary>
    Reject,

    /// <summary>The message waits and becomes the next turn when the running one ends.</summary>
    Enqueue,

    /// <summary>The message waits and the running turn is cancelled, so it starts as soon as that turn stops.</summary>
    Interrupt,
}
