namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>
/// Counters in this process, for the embedded topology (no Redis): the same windows, slots and answers as
/// <see cref="RedisRateLimitStore"/>, under one lock. Expired windows and leases are swept once a minute, so
/// idle keys and tenants do not pile up.
/// </summary>
public sealed class InProcessRateLimitStore(TimeProvider time) : IRateLimitStore
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Count, DateTimeOffset Ends)> _windows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<Guid, DateTimeOffset>> _sessions = new(StringComparer.Ordinal);
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    public ValueTask<RequestDecision> TryCountRequestAsync(string tenantId, string subject, int keyLimit, int tenantLimit, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        string[] keys = [$"{tenantId}\n{subject}", tenantId];
        int[] limits = [keyLimit, tenantLimit];
        lock (_gate)
        {
            Sweep(now);
            for (var i = 0; i < keys.Length; i++)
            {
                if (_windows.TryGetValue(keys[i], out var window) && window.Ends > now && window.Count >= limits[i])
                {
                    return ValueTask.FromResult(new RequestDecision(i == 0 ? RateLimitScope.Key : RateLimitScope.Tenant, 0, window.Ends - now));
                }
            }
            var remaining = long.MaxValue;
            for (var i = 0; i < keys.Length; i++)
            {
                var window = _windows.TryGetValue(keys[i], out var current) && current.Ends > now ? current : (0, now + Window);
                window.Count++;
                _windows[keys[i]] = window;
                remaining = Math.Min(remaining, limits[i] - window.Count);
            }
            return ValueTask.FromResult(RequestDecision.Counted(remaining));
        }
    }

    public ValueTask<SlotDecision> TryAcquireSessionAsync(string tenantId, Guid sessionId, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Sweep(now);
            var slots = ActiveSlots(tenantId, now);
            var held = slots.ContainsKey(sessionId);
            if (!held && slots.Count >= limit)
            {
                return ValueTask.FromResult(new SlotDecision(false, false, slots.Count));
            }
            slots[sessionId] = now + lease;
            return ValueTask.FromResult(new SlotDecision(true, !held, slots.Count));
        }
    }

    public ValueTask<int> ReleaseSessionsAsync(string tenantId, IReadOnlyCollection<Guid> sessionIds, TimeSpan minAge, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionIds);
        var now = time.GetUtcNow();
        var latest = now + lease - minAge;
        var freed = 0;
        lock (_gate)
        {
            if (_sessions.TryGetValue(tenantId, out var slots))
            {
                foreach (var id in sessionIds)
                {
                    if (slots.TryGetValue(id, out var ends) && ends <= latest && slots.Remove(id))
                    {
                        freed++;
                    }
                }
            }
        }
        return ValueTask.FromResult(freed);
    }

    public ValueTask<IReadOnlyList<Guid>> ActiveSessionsAsync(string tenantId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<Guid>>([.. ActiveSlots(tenantId, now).Keys]);
        }
    }

    private Dictionary<Guid, DateTimeOffset> ActiveSlots(string tenantId, DateTimeOffset now)
    {
        if (!_sessions.TryGetValue(tenantId, out var slots))
        {
            slots = [];
            _sessions[tenantId] = slots;
        }
        foreach (var (id, ends) in slots)
        {
            if (ends <= now)
            {
                slots.Remove(id);
            }
        }
        return slots;
    }

    private void Sweep(DateTimeOffset now)
    {
        if (now < _nextSweep)
        {
            return;
        }
        _nextSweep = now + Window;
        foreach (var (key, window) in _windows)
        {
            if (window.Ends <= now)
            {
                _windows.Remove(key);
            }
        }
        foreach (var (tenant, slots) in _sessions)
        {
            foreach (var (id, ends) in slots)
            {
                if (ends <= now)
                {
                    slots.Remove(id);
                }
            }
            if (slots.Count == 0)
            {
                _sessions.Remove(tenant);
            }
        }
    }
}
