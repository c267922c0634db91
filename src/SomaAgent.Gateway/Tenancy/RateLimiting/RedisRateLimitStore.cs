using StackExchange.Redis;

namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>
/// Counters in Redis, shared by every gateway replica. Each check is one Lua script (one EVAL), so checking
/// and counting are atomic across replicas and a refused request counts nothing. Times come from the Redis
/// server's clock (<c>TIME</c>), so replicas with skewed clocks still agree. Every key is under
/// <c>somaagent:rl:{tenant}:</c> (one hash slot per tenant, as a cluster needs) and carries a TTL, so nothing
/// outlives its window or its longest lease. When Redis cannot answer, the request passes (logged): an
/// outage of the counters must not take the API down.
/// </summary>
public sealed partial class RedisRateLimitStore(IConnectionMultiplexer redis, ILogger<RedisRateLimitStore> logger) : IRateLimitStore
{
    public const string KeyPrefix = "somaagent:rl:";
    private const long WindowMilliseconds = 60_000;

    // KEYS: key counter, tenant counter. ARGV: key limit, tenant limit, window ms.
    // Answers {1, remaining} or {0, which (1 key, 2 tenant), ms until that window ends}.
    private const string CountScript = """
        local window = tonumber(ARGV[3])
        for i = 1, 2 do
          local count = tonumber(redis.call('GET', KEYS[i]) or '0')
          if count >= tonumber(ARGV[i]) then
            local ttl = redis.call('PTTL', KEYS[i])
            if ttl < 0 then
              redis.call('PEXPIRE', KEYS[i], window)
              ttl = window
            end
            return {0, i, ttl}
          end
        end
        local remaining = -1
        for i = 1, 2 do
          local count = redis.call('INCR', KEYS[i])
          if count == 1 then
            redis.call('PEXPIRE', KEYS[i], window)
          end
          local left = tonumber(ARGV[i]) - count
          if remaining < 0 or left < remaining then
            remaining = left
          end
        end
        return {1, remaining}
        """;

    // KEYS: the tenant's active sessions (zset: session id -> lease end, ms). ARGV: session id, limit, lease ms.
    // Answers {allowed, added, active}.
    private const string AcquireScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local lease = tonumber(ARGV[3])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
        local active = redis.call('ZCARD', KEYS[1])
        if not held and active >= tonumber(ARGV[2]) then
          return {0, 0, active}
        end
        redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
        redis.call('PEXPIRE', KEYS[1], lease)
        if held then
          return {1, 0, active}
        end
        return {1, 1, active + 1}
        """;

    // KEYS: the tenant's active sessions. ARGV: min age ms, lease ms, session ids... Frees the slots taken or
    // renewed at least min age ago (lease end <= now + lease - min age); answers how many it freed.
    private const string ReleaseScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local latest = now + tonumber(ARGV[2]) - tonumber(ARGV[1])
        local freed = 0
        for i = 3, #ARGV do
          local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
          if score and tonumber(score) <= latest then
            freed = freed + redis.call('ZREM', KEYS[1], ARGV[i])
          end
        end
        return freed
        """;

    public async ValueTask<RequestDecision> TryCountRequestAsync(string tenantId, string subject, int keyLimit, int tenantLimit, CancellationToken cancellationToken)
    {
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(CountScript,
                [$"{TenantPrefix(tenantId)}key:{subject}", $"{TenantPrefix(tenantId)}requests"],
                [keyLimit, tenantLimit, WindowMilliseconds]))!;
            return (long)result[0] == 1
                ? RequestDecision.Counted((long)result[1])
                : new RequestDecision((long)result[1] == 1 ? RateLimitScope.Key : RateLimitScope.Tenant, 0,
                    TimeSpan.FromMilliseconds((long)result[2]));
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogUnavailable(exception);
            return RequestDecision.Counted(Math.Min(keyLimit, tenantLimit));
        }
    }

    public async ValueTask<SlotDecision> TryAcquireSessionAsync(string tenantId, Guid sessionId, int limit, TimeSpan lease, CancellationToken cancellationToken)
    {
        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(AcquireScript,
                [SessionsKey(tenantId)], [sessionId.ToString("N"), limit, (long)lease.TotalMilliseconds]))!;
            return new SlotDecision((long)result[0] == 1, (long)result[1] == 1, (long)result[2]);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogUnavailable(exception);
            return new SlotDecision(true, false, 0);
        }
    }

    public async ValueTask<int> ReleaseSessionsAsync(string tenantId, IReadOnlyCollection<Guid> sessionIds, TimeSpan minAge, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionIds);
        if (sessionIds.Count == 0)
        {
            return 0;
        }
        RedisValue[] arguments = [(long)minAge.TotalMilliseconds, (long)lease.TotalMilliseconds, .. sessionIds.Select(id => (RedisValue)id.ToString("N"))];
        try
        {
            return (int)(await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [SessionsKey(tenantId)], arguments));
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The slot stays taken until its lease ends or a refused start reconciles it with the store.
            LogUnavailable(exception);
            return 0;
        }
    }

    public async ValueTask<IReadOnlyList<Guid>> ActiveSessionsAsync(string tenantId, CancellationToken cancellationToken)
    {
        try
        {
            var members = await redis.GetDatabase().SortedSetRangeByRankAsync(SessionsKey(tenantId));
            return [.. members.Select(m => Guid.TryParseExact(m.ToString(), "N", out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty)];
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogUnavailable(exception);
            return [];
        }
    }

    private static string TenantPrefix(string tenantId) => $"{KeyPrefix}{{{tenantId}}}:";

    private static string SessionsKey(string tenantId) => $"{TenantPrefix(tenantId)}sessions";

    [LoggerMessage(EventId = 6000, EventName = "RateLimitStoreUnavailable", Level = LogLevel.Warning,
        Message = "Redis did not answer a rate limit check; the request passes uncounted.")]
    private partial void LogUnavailable(Exception exception);
}
