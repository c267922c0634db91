using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SomaAgent.Gateway.Tenancy.RateLimiting;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Tests.Gateway.Tenancy.RateLimiting;

/// <summary>
/// The quota follows turns by what the events' writer marked on them: a turn that ends frees its session's slot,
/// a turn that starts holds it; the session store is never read for that.
/// </summary>
public sealed class SessionQuotaTests
{
    private const string Tenant = "acme";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly InProcessRateLimitStore _store = new(TimeProvider.System);
    private readonly SessionQuota _quota;

    public SessionQuotaTests()
    {
        var options = new RateLimitOptions { ConcurrentSessions = 1 };
        _quota = new SessionQuota(_store, new StaticOptionsMonitor(options), new UnreadableStore(), NullLogger<SessionQuota>.Instance);
    }

    [Fact]
    public async Task A_turn_that_ends_frees_its_sessions_slot()
    {
        var session = Guid.CreateVersion7();
        (await _quota.TryTakeAsync(Tenant, session, Ct)).ShouldBe(true);

        await _quota.OnEventsAsync(Appended(session, Status(5, endsTurn: true)), Ct);

        (await _store.ActiveSessionsAsync(Tenant, Ct)).ShouldBeEmpty();
        (await _quota.TryTakeAsync(Tenant, Guid.CreateVersion7(), Ct)).ShouldBe(true);
    }

    [Fact]
    public async Task A_turn_started_from_the_wait_queue_holds_a_slot_even_at_the_quota()
    {
        var running = Guid.CreateVersion7();
        var resumed = Guid.CreateVersion7();
        (await _quota.TryTakeAsync(Tenant, running, Ct)).ShouldBe(true);

        await _quota.OnEventsAsync(Appended(resumed, Status(7, endsTurn: true), Status(8, startsTurn: true)), Ct);

        (await _store.ActiveSessionsAsync(Tenant, Ct)).ShouldBe([running, resumed], ignoreOrder: true);
    }

    [Fact]
    public async Task Events_that_neither_start_nor_end_a_turn_leave_the_slot_alone()
    {
        var session = Guid.CreateVersion7();
        (await _quota.TryTakeAsync(Tenant, session, Ct)).ShouldBe(true);

        await _quota.OnEventsAsync(Appended(session, Status(3), Status(4)), Ct);

        (await _store.ActiveSessionsAsync(Tenant, Ct)).ShouldBe([session]);
    }

    private static SessionEventsAppended Appended(Guid session, params SessionEventEnvelope[] events) =>
        new() { SessionId = session, TenantId = Tenant, Events = events };

    private static SessionEventEnvelope Status(long sequence, bool startsTurn = false, bool endsTurn = false) =>
        new(sequence, "status", 1, DateTime.UtcNow, "{}") { StartsTurn = startsTurn, EndsTurn = endsTurn };

    private sealed class StaticOptionsMonitor(RateLimitOptions value) : IOptionsMonitor<RateLimitOptions>
    {
        public RateLimitOptions CurrentValue => value;

        public RateLimitOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<RateLimitOptions, string?> listener) => null;
    }

    /// <summary>Fails the test if the quota reads the session store to follow a turn.</summary>
    private sealed class UnreadableStore : IDbContextFactory<SessionDbContext>
    {
        public SessionDbContext CreateDbContext() => throw new ShouldAssertException("The quota read the session store.");
    }
}
