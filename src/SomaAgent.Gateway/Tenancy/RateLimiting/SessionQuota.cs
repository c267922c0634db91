using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SomaAgent.Gateway.Problems;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;
using SomaAgent.Security;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>
/// The concurrent-sessions quota: a tenant may have at most N sessions whose latest turn is queued or running.
/// A request that starts a turn takes a slot for its session first (one atomic check in the shared store, so
/// the quota holds exactly across replicas); a session whose turn runs keeps its one slot for follow-ups.
/// The slot is freed when a gateway sees the turn end on <c>session.events</c> and the session store confirms
/// it (so a follow-up turn that started from the wait queue keeps it). Nothing leaks for long if that event is
/// missed (a gateway crash, Redis away at that moment): a refused start first frees the slots of sessions the
/// store shows ended, and every slot has a lease as a last resort.
/// </summary>
public sealed partial class SessionQuota(
    IRateLimitStore store,
    IOptionsMonitor<RateLimitOptions> options,
    IDbContextFactory<SessionDbContext> dbFactory,
    AuditRecorder audit,
    ILogger<SessionQuota> logger)
{
    /// <summary>A slot younger than this is never reconciled away: its turn may not be stored yet.</summary>
    public static readonly TimeSpan ReconcileMinAge = TimeSpan.FromSeconds(10);

    private TimeSpan Lease => TimeSpan.FromSeconds(options.CurrentValue.SessionSlotLeaseSeconds);

    /// <summary>
    /// Takes a slot for <paramref name="sessionId"/>; on refusal sets <c>Retry-After</c>, records the refusal in
    /// the audit log and returns the 429 problem in <see cref="SessionSlot.Refusal"/>.
    /// </summary>
    public async Task<SessionSlot> AcquireAsync(HttpContext http, Caller caller, Guid sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(caller);
        var limit = options.CurrentValue.For(caller.TenantId).ConcurrentSessions;
        var decision = await store.TryAcquireSessionAsync(caller.TenantId, sessionId, limit, Lease, cancellationToken);
        if (!decision.Allowed && await ReconcileAsync(caller.TenantId, cancellationToken) > 0)
        {
            decision = await store.TryAcquireSessionAsync(caller.TenantId, sessionId, limit, Lease, cancellationToken);
        }
        if (decision.Allowed)
        {
            return new SessionSlot(caller.TenantId, sessionId, decision.Added, Refusal: null);
        }
        await audit.RecordAsync(http, AuditEvents.RateLimited, AuditDecisions.Deny, $"tenant at its quota of {limit} concurrent sessions", caller.TenantId);
        RateLimitProblems.SetRetryAfter(http.Response, RateLimitProblems.SessionRetryAfterSeconds);
        return new SessionSlot(caller.TenantId, sessionId, Added: false,
            Problem.Of(ProblemCatalog.RateLimited, RateLimitProblems.SessionsDetail(limit)));
    }

    /// <summary>
    /// Runs the work that may start a turn inside <paramref name="slot"/>: the slot stays taken when
    /// <paramref name="startedTurn"/> says the result holds a turn, and is given back otherwise or when the work throws.
    /// </summary>
    public async Task<T> HoldAsync<T>(SessionSlot slot, Func<Task<T>> work, Func<T, bool> startedTurn)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(startedTurn);
        T result;
        try
        {
            result = await work();
        }
        catch
        {
            await ReturnAsync(slot);
            throw;
        }
        if (!startedTurn(result))
        {
            await ReturnAsync(slot);
        }
        return result;
    }

    /// <summary>Gives back a slot this request took when it started no turn after all.</summary>
    public async Task ReturnAsync(SessionSlot slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        if (slot.Added)
        {
            await store.ReleaseSessionsAsync(slot.TenantId, [slot.SessionId], TimeSpan.Zero, Lease, CancellationToken.None);
        }
    }

    /// <summary>Frees the session's slot when these events end its latest turn and the store agrees.</summary>
    public async Task OnEventsAsync(SessionEventsAppended appended, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appended);
        if (!appended.Events.Any(EndsTurn))
        {
            return;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.AsNoTracking()
            .Where(s => s.Id == appended.SessionId)
            .Select(s => new { s.TenantId, s.Status })
            .SingleOrDefaultAsync(cancellationToken);
        if (session is not null && SessionStatus.IsEnded(session.Status))
        {
            await store.ReleaseSessionsAsync(session.TenantId, [appended.SessionId], TimeSpan.Zero, Lease, cancellationToken);
        }
    }

    /// <summary>Frees the slots of the tenant's sessions the store shows ended (their end was never seen).</summary>
    private async Task<int> ReconcileAsync(string tenantId, CancellationToken cancellationToken)
    {
        var held = await store.ActiveSessionsAsync(tenantId, cancellationToken);
        if (held.Count == 0)
        {
            return 0;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var running = await db.Sessions.AsNoTracking()
            .Where(s => s.TenantId == tenantId && held.Contains(s.Id)
                && (s.Status == SessionStatus.Queued || s.Status == SessionStatus.Running || s.Status == SessionStatus.WaitingTool))
            .Select(s => s.Id)
            .ToListAsync(cancellationToken);
        var stale = held.Except(running).ToList();
        var freed = stale.Count == 0 ? 0 : await store.ReleaseSessionsAsync(tenantId, stale, ReconcileMinAge, Lease, cancellationToken);
        if (freed > 0)
        {
            LogReconciled(freed, tenantId);
        }
        return freed;
    }

    private static bool EndsTurn(SessionEventEnvelope envelope) =>
        envelope.Type == SessionEventTypes.Status
        && JsonSerializer.Deserialize(envelope.DataJson, SessionJsonContext.Wire.StatusEventData) is { } data
        && SessionStatus.IsEnded(data.Status);

    [LoggerMessage(EventId = 6001, EventName = "SessionSlotsReconciled", Level = LogLevel.Information,
        Message = "Freed {Count} concurrent-session slots of tenant {TenantId} whose turns had ended unseen.")]
    private partial void LogReconciled(int count, string tenantId);
}

/// <summary>A concurrent-session slot: granted (<see cref="Refusal"/> null; <see cref="Added"/> when newly taken) or refused.</summary>
public sealed record SessionSlot(string TenantId, Guid SessionId, bool Added, ProblemHttpResult? Refusal);
