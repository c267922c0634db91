namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>
/// The counters behind rate limits and quotas. Each check is atomic: a refused request consumes nothing, and
/// every gateway replica sharing the store sees the same counts. <see cref="RedisRateLimitStore"/> shares them
/// through Redis; <see cref="InProcessRateLimitStore"/> keeps them in this process (the embedded topology).
/// </summary>
public interface IRateLimitStore
{
    /// <summary>
    /// Counts one request against the key's and the tenant's window (a minute from the window's first request),
    /// or counts nothing and says which limit is full and when its window ends.
    /// </summary>
    ValueTask<RequestDecision> TryCountRequestAsync(string tenantId, string subject, int keyLimit, int tenantLimit, CancellationToken cancellationToken);

    /// <summary>
    /// Takes a concurrent-session slot of the tenant for <paramref name="sessionId"/> for <paramref name="lease"/>,
    /// unless the tenant already holds <paramref name="limit"/> slots. A session that holds one keeps it (renewed).
    /// </summary>
    ValueTask<SlotDecision> TryAcquireSessionAsync(string tenantId, Guid sessionId, int limit, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>
    /// Frees the slots of <paramref name="sessionIds"/> that were taken or renewed at least <paramref name="minAge"/>
    /// ago (zero: whatever their age); returns how many were freed.
    /// </summary>
    ValueTask<int> ReleaseSessionsAsync(string tenantId, IReadOnlyCollection<Guid> sessionIds, TimeSpan minAge, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>The sessions holding a slot of the tenant.</summary>
    ValueTask<IReadOnlyList<Guid>> ActiveSessionsAsync(string tenantId, CancellationToken cancellationToken);
}

/// <summary>Which limit refused a request.</summary>
public enum RateLimitScope
{
    /// <summary>Nothing: the request was counted.</summary>
    None,

    /// <summary>The API key's (or token subject's) requests per minute.</summary>
    Key,

    /// <summary>The tenant's requests per minute, all its keys together.</summary>
    Tenant,

    /// <summary>The tenant's concurrent sessions.</summary>
    ConcurrentSessions,
}

/// <summary>The answer to a request check: counted (with what remains of the tighter limit) or refused.</summary>
public readonly record struct RequestDecision(RateLimitScope RefusedBy, long Remaining, TimeSpan RetryAfter)
{
    public bool Allowed => RefusedBy == RateLimitScope.None;

    public static RequestDecision Counted(long remaining) => new(RateLimitScope.None, remaining, TimeSpan.Zero);
}

/// <summary>The answer to a slot request: granted (newly, or renewed) or refused with the slots in use.</summary>
public readonly record struct SlotDecision(bool Allowed, bool Added, long Active);
