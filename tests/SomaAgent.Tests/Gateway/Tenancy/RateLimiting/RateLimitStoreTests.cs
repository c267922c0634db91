using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SomaAgent.Gateway.Tenancy.RateLimiting;
using SomaAgent.Tests.Infrastructure;
using StackExchange.Redis;

namespace SomaAgent.Tests.Gateway.Tenancy.RateLimiting;

/// <summary>
/// The two stores answer alike: the same windows, refusals that count nothing, and slots. The Redis one runs
/// against a real redis-server; the in-process one also runs on a test clock to see windows and leases end.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RateLimitStoreTests(RedisServer redis) : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private ConnectionMultiplexer? _connection;

    public static TheoryData<string> Stores => ["redis", "in-process"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_key_gets_its_limit_and_a_refusal_counts_nothing(string kind)
    {
        var store = Create(kind);
        var tenant = NewTenant();

        var decisions = new List<RequestDecision>();
        for (var i = 0; i < 5; i++)
        {
            decisions.Add(await store.TryCountRequestAsync(tenant, "key-1", keyLimit: 3, tenantLimit: 100, Ct));
        }

        decisions.Take(3).ShouldAllBe(d => d.Allowed);
        decisions.Select(d => d.Remaining).Take(3).ShouldBe([2L, 1L, 0L]);
        decisions.Skip(3).ShouldAllBe(d => d.RefusedBy == RateLimitScope.Key);
        decisions[3].RetryAfter.ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        // The refusals counted nothing against the tenant: 97 of its 100 remain for another key.
        (await store.TryCountRequestAsync(tenant, "key-2", keyLimit: 1000, tenantLimit: 100, Ct)).Remaining.ShouldBe(96);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task The_tenant_limit_covers_all_its_keys_and_no_other_tenant(string kind)
    {
        var store = Create(kind);
        var tenant = NewTenant();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            store.TryCountRequestAsync(tenant, $"key-{i % 3}", keyLimit: 100, tenantLimit: 8, Ct).AsTask()));

        decisions.Count(d => d.Allowed).ShouldBe(8);
        decisions.Where(d => !d.Allowed).ShouldAllBe(d => d.RefusedBy == RateLimitScope.Tenant);
        (await store.TryCountRequestAsync(NewTenant(), "key-0", keyLimit: 100, tenantLimit: 8, Ct)).Allowed.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Session_slots_are_exact_kept_by_their_session_and_freed_on_release(string kind)
    {
        var store = Create(kind);
        var tenant = NewTenant();
        Guid[] sessions = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];

        var taken = await Task.WhenAll(sessions.Select(id => store.TryAcquireSessionAsync(tenant, id, limit: 2, Lease, Ct).AsTask()));
        taken.Count(d => d.Allowed).ShouldBe(2);
        var holder = sessions.Where((_, i) => taken[i].Allowed).First();
        var waiting = sessions.Where((_, i) => !taken[i].Allowed).Single();

        var again = await store.TryAcquireSessionAsync(tenant, holder, limit: 2, Lease, Ct);
        again.ShouldBe(new SlotDecision(true, false, 2));
        (await store.ActiveSessionsAsync(tenant, Ct)).Count.ShouldBe(2);
        // A young slot survives a release that asks for an age.
        (await store.ReleaseSessionsAsync(tenant, [holder], TimeSpan.FromMinutes(1), Lease, Ct)).ShouldBe(0);
        (await store.ReleaseSessionsAsync(tenant, [holder, waiting], TimeSpan.Zero, Lease, Ct)).ShouldBe(1);
        (await store.TryAcquireSessionAsync(tenant, waiting, limit: 2, Lease, Ct)).ShouldBe(new SlotDecision(true, true, 2));
    }

    [Fact]
    public async Task In_process_windows_and_leases_end_with_time()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var store = new InProcessRateLimitStore(clock);

        (await store.TryCountRequestAsync("t", "k", 1, 10, Ct)).Allowed.ShouldBeTrue();
        clock.Advance(TimeSpan.FromSeconds(20));
        var refused = await store.TryCountRequestAsync("t", "k", 1, 10, Ct);
        refused.RefusedBy.ShouldBe(RateLimitScope.Key);
        refused.RetryAfter.ShouldBe(TimeSpan.FromSeconds(40));
        clock.Advance(TimeSpan.FromSeconds(40));
        (await store.TryCountRequestAsync("t", "k", 1, 10, Ct)).Allowed.ShouldBeTrue();

        (await store.TryAcquireSessionAsync("t", Guid.NewGuid(), 1, Lease, Ct)).Allowed.ShouldBeTrue();
        (await store.TryAcquireSessionAsync("t", Guid.NewGuid(), 1, Lease, Ct)).Allowed.ShouldBeFalse();
        clock.Advance(Lease);
        (await store.TryAcquireSessionAsync("t", Guid.NewGuid(), 1, Lease, Ct)).Allowed.ShouldBeTrue();
    }

    [Fact]
    public async Task Redis_keys_are_namespaced_and_expire()
    {
        var store = Create("redis");
        var tenant = NewTenant();
        await store.TryCountRequestAsync(tenant, "key-1", 10, 10, Ct);
        await store.TryAcquireSessionAsync(tenant, Guid.NewGuid(), 10, Lease, Ct);

        var keys = await redis.KeysAsync($"somaagent:rl:{{{tenant}}}:*");

        keys.Count.ShouldBe(3);
        var database = _connection!.GetDatabase();
        foreach (var key in keys)
        {
            (await database.KeyTimeToLiveAsync(key)).ShouldNotBeNull(key);
        }
    }

    private IRateLimitStore Create(string kind) => kind == "redis"
        ? new RedisRateLimitStore(_connection!, NullLogger<RedisRateLimitStore>.Instance)
        : new InProcessRateLimitStore(TimeProvider.System);

    private static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..12];

    public async ValueTask InitializeAsync() => _connection = await redis.ConnectAsync();

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
    }
}
