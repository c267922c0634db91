using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>
/// The concurrent-sessions quota: a tenant may have at most N sessions whose latest turn is queued or running.
/// A request that starts a turn takes a slot for its session first (<see cref="SessionQuotaFilter"/>: one atomic
/// check in the shared store, so the quota holds exactly across replicas); a session whose turn runs keeps its one
/// slot for follow-ups. The slot follows the session's events on <c>session.events</c>, as their writer marked them:
/// a turn that ends frees it, a turn that starts (also one started from the wait queue) holds it. Nothing leaks
/// for long if an event is missed (a gateway crash, Redis away at that moment): a refused start first frees the
/// slots of sessions the store shows ended, and every slot has a lease as a last resort.
/// </summary>
public sealed partial class SessionQuota(
    IRateLimitStore store,
    IOptionsMonitor<RateLimitOptions> options,
    IDbContextFactory<SessionDbContext> dbFactory,
    ILogger<SessionQuota> logger)
{
    /// <summary>A slot younger than this is never reconciled away: its turn may not be stored yet.</summary>
    public static readonly TimeSpan ReconcileMinAge = TimeSpan.FromSeconds(10);

    private TimeSpan Lease => TimeSpan.FromSeconds(options.CurrentValue.SessionSlotLeaseSeconds);

    public int LimitOf(string tenantId) => options.CurrentValue.For(tenantId).ConcurrentSessions;

    /// <summary>Takes a slot for <paramref name="sessionId"/>: true when newly taken, false when it held one already, null when the tenant is at its quota.</summary>
    public async Task<bool?> TryTakeAsync(string tenantId, Guid sessionId, CancellationToken cancellationToken)
    {
        var limit = LimitOf(tenantId);
        var decision = await store.TryAcquireSessionAsync(tenantId, sessionId, limit, Lease, cancellationToken);
        if (!decision.Allowed && await ReconcileAsync(tenantId, cancellationToken) > 0)
        {
            decision = await store.TryAcquireSessionAsync(tenantId, sessionId, limit, Lease, cancellationToken);
        }
        return decision.Allowed ? decision.Added : null;
    }

    /// <summary>Gives back the session's slot: a request that started no turn after all, or a turn that ended.</summary>
    public async Task GiveBackAsync(string tenantId, Guid sessionId, CancellationToken cancellationToken = default) =>
        await store.ReleaseSessionsAsync(tenantId, [sessionId], TimeSpan.Zero, Lease, cancellationToken);

    /// <summary>
    /// Follows the session's turns: the last turn start or end among <paramref name="appended"/> decides whether its
    /// slot is held (a turn that started from the wait queue is running already, so it takes its slot whatever the quota).
    /// </summary>
    public async Task OnEventsAsync(SessionEventsAppended appended, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(appended);
        var last = appended.Events.LastOrDefault(e => e.StartsTurn || e.EndsTurn);
        if (last is null || appended.TenantId.Length == 0)
        {
            return;
        }
        if (last.EndsTurn)
        {
            await GiveBackAsync(appended.TenantId, appended.SessionId, cancellationToken);
        }
        else
        {
            await store.TryAcquireSessionAsync(appended.TenantId, appended.SessionId, int.MaxValue, Lease, cancellationToken);
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

    [LoggerMessage(EventId = 6001, EventName = "SessionSlotsReconciled", Level = LogLevel.Information,
        Message = "Freed {Count} concurrent-session slots of tenant {TenantId} whose turns had ended unseen.")]
    private partial void LogReconciled(int count, string tenantId);
}
