using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>
/// Rate limits and the concurrent-sessions quota across two gateway replicas sharing one database and one real
/// redis-server: every limit holds exactly for the pair, not per replica. Each test has its own tenant (and so
/// its own Redis keys), with its limits set as that tenant's overrides.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RateLimitTests(RedisServer redis)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_key_limit_holds_exactly_across_two_gateways()
    {
        var tenant = NewTenantId();
        await using var replicas = await Replicas.StartAsync(redis, tenant, new() { ["KeyRequestsPerMinute"] = "10" });
        var key = await replicas.CreateKeyAsync();
        using var a = replicas.A.CreateClientWith(key);
        using var b = replicas.B.CreateClientWith(key);

        for (var i = 0; i < 10; i++)
        {
            using var response = await (i % 2 == 0 ? a : b).GetAsync("/v1/sessions", Ct);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, $"request {i + 1} of 10");
            response.Headers.GetValues("RateLimit-Limit").Single().ShouldBe("10");
            response.Headers.GetValues("RateLimit-Remaining").Single().ShouldBe((9 - i).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        using var refusedOnA = await a.GetAsync("/v1/sessions", Ct);
        using var refusedOnB = await b.GetAsync("/v1/sessions", Ct);

        foreach (var refused in new[] { refusedOnA, refusedOnB })
        {
            var detail = await ShouldBeRateLimitedAsync(refused);
            detail.ShouldContain("API key");
            detail.ShouldContain("10 requests per minute");
        }
        (await AuditRefusalsAsync(replicas, tenant, expected: 2)).ShouldBe(2);
    }

    [Fact]
    public async Task Concurrent_requests_on_both_gateways_get_exactly_the_limit()
    {
        var tenant = NewTenantId();
        await using var replicas = await Replicas.StartAsync(redis, tenant, new() { ["KeyRequestsPerMinute"] = "10" });
        var key = await replicas.CreateKeyAsync();
        using var a = replicas.A.CreateClientWith(key);
        using var b = replicas.B.CreateClientWith(key);

        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => (i % 2 == 0 ? a : b).GetAsync("/v1/sessions", Ct)));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(10);
        responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests).ShouldBe(20);
        (await AuditRefusalsAsync(replicas, tenant, expected: 20)).ShouldBe(20);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task The_tenant_limit_holds_across_its_keys_and_other_tenants_are_unaffected()
    {
        var tenant = NewTenantId();
        // The tenant admin creates two keys first: 2 of the tenant's 12 requests.
        await using var replicas = await Replicas.StartAsync(redis, tenant, new() { ["RequestsPerMinute"] = "12" });
        var first = await replicas.CreateKeyAsync();
        var second = await replicas.CreateKeyAsync();
        using var a = replicas.A.CreateClientWith(first);
        using var b = replicas.B.CreateClientWith(second);

        var allowed = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? a : b).GetAsync("/v1/sessions", Ct)));
        allowed.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        using var refusedFirst = await a.GetAsync("/v1/sessions", Ct);
        using var refusedSecond = await b.GetAsync("/v1/sessions", Ct);

        foreach (var refused in new[] { refusedFirst, refusedSecond })
        {
            var detail = await ShouldBeRateLimitedAsync(refused);
            detail.ShouldContain("tenant");
            detail.ShouldContain("12 requests per minute");
        }
        var (_, otherAdmin) = await SecurityClient.CreateTenantAsync(replicas.A);
        using var other = replicas.B.CreateClientWith(otherAdmin);
        using var unaffected = await other.GetAsync("/v1/sessions", Ct);
        unaffected.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Probes_health_and_documents_are_never_limited()
    {
        var tenant = NewTenantId();
        await using var replicas = await Replicas.StartAsync(redis, tenant, new(), defaultTenantKeyLimit: 1, createTenant: false);
        using var bootstrap = replicas.A.CreateClient();
        using var anonymous = replicas.B.CreateAnonymousClient();

        foreach (var path in new[] { "/health", "/alive", "/v1/health", "/openapi.json" })
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 5).SelectMany(_ => new[] { bootstrap.GetAsync(path, Ct), anonymous.GetAsync(path, Ct) }));
            responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK, path);
        }
        // The limit is on: the default tenant's keys may make one request a minute here.
        using var first = await bootstrap.GetAsync("/v1/sessions", Ct);
        using var second = await bootstrap.GetAsync("/v1/sessions", Ct);
        await ShouldBeRateLimitedAsync(second);
    }

    [Fact]
    public async Task The_concurrent_sessions_quota_holds_exactly_across_two_gateways_and_frees_when_turns_end()
    {
        var tenant = NewTenantId();
        await using var replicas = await Replicas.StartAsync(redis, tenant, new() { ["ConcurrentSessions"] = "3" },
            slowTurnMs: 6000);
        var key = await replicas.CreateKeyAsync();
        using var a = replicas.A.CreateClientWith(key);
        using var b = replicas.B.CreateClientWith(key);

        var creates = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => CreateSessionAsync(i % 2 == 0 ? a : b)));

        var created = creates.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        created.Count.ShouldBe(3);
        var refused = creates.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        refused.Count.ShouldBe(3);
        foreach (var response in refused)
        {
            var detail = await ShouldBeRateLimitedAsync(response);
            detail.ShouldContain("3 concurrent sessions");
        }

        foreach (var response in created)
        {
            await WaitForEndAsync(a, response.Headers.Location!.ToString());
        }
        await WaitForSlotsAsync(tenant, 0);
        var again = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => CreateSessionAsync(i % 2 == 0 ? b : a)));
        again.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(3, "the ended turns freed their slots, exactly");
        again.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests).ShouldBe(1);
    }

    [Fact]
    public async Task A_message_that_would_start_a_turn_over_the_quota_is_refused()
    {
        var tenant = NewTenantId();
        await using var replicas = await Replicas.StartAsync(redis, tenant, new() { ["ConcurrentSessions"] = "1" }, slowTurnMs: 2000);
        var key = await replicas.CreateKeyAsync();
        using var a = replicas.A.CreateClientWith(key);
        using var b = replicas.B.CreateClientWith(key);
        using var first = await CreateSessionAsync(a);
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        await WaitForEndAsync(a, first.Headers.Location!.ToString());
        await WaitForSlotsAsync(tenant, 0);
        using var running = await CreateSessionAsync(b);
        running.StatusCode.ShouldBe(HttpStatusCode.Created);

        using var message = await b.PostAsJsonAsync($"{first.Headers.Location}/messages",
            new { messages = new[] { new { role = "user", content = "And now?" } } }, GatewayApp.Json, Ct);

        (await ShouldBeRateLimitedAsync(message)).ShouldContain("1 concurrent sessions");
    }

    private static string NewTenantId() => "t-" + Guid.NewGuid().ToString("N")[..12];

    private static Task<HttpResponseMessage> CreateSessionAsync(HttpClient client) =>
        client.PostAsJsonAsync("/v1/sessions", new { messages = new[] { new { role = "user", content = "What is 12*(3+4)?" } } }, GatewayApp.Json, Ct);

    private static async Task WaitForEndAsync(HttpClient client, string location)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var session = await client.GetFromJsonAsync<JsonElement>(location, GatewayApp.Json, Ct);
            if (session.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{location} did not end: {session}");
            }
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>
    /// Waits until the tenant holds <paramref name="active"/> slots in Redis: a slot frees when the gateway handles
    /// the turn's end event, a moment after the store shows the turn ended.
    /// </summary>
    private async Task WaitForSlotsAsync(string tenant, long active)
    {
        await using var connection = await redis.ConnectAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await connection.GetDatabase().SortedSetLengthAsync($"somaagent:rl:{{{tenant}}}:sessions") != active)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Tenant {tenant} does not hold {active} session slots.");
            }
            await Task.Delay(20, Ct);
        }
    }

    /// <summary>Asserts a 429 problem with a whole, positive Retry-After of at most a minute; returns its detail.</summary>
    private static async Task<string> ShouldBeRateLimitedAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, await response.Content.ReadAsStringAsync(Ct));
        var retryAfter = response.Headers.GetValues("Retry-After").Single();
        int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture).ShouldBeInRange(1, 60);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
        problem.GetProperty("type").GetString().ShouldBe("urn:somaagent:problem:rate-limited");
        problem.GetProperty("status").GetInt32().ShouldBe(429);
        return problem.GetProperty("detail").GetString()!;
    }

    /// <summary>The rate_limited entries of <paramref name="tenant"/> in both replicas' audit logs, once <paramref name="expected"/> are there or 5 s passed.</summary>
    private static async Task<int> AuditRefusalsAsync(Replicas replicas, string tenant, int expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var count = new[] { replicas.A.AuditFile, replicas.B.AuditFile }
                .SelectMany(AuditFile.Read)
                .Count(entry => entry.Field("event") == "rate_limited" && entry.Field("tenant") == tenant);
            if (count >= expected || DateTime.UtcNow > deadline)
            {
                return count;
            }
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>Two gateways over one SQLite file and one Redis, with <paramref name="tenant"/> created and its overrides set.</summary>
    private sealed class Replicas : IAsyncDisposable
    {
        private Replicas(GatewayApp a, GatewayApp b, string tenant)
        {
            A = a;
            B = b;
            Tenant = tenant;
        }

        public GatewayApp A { get; }

        public GatewayApp B { get; }

        public string Tenant { get; }

        public string? AdminKey { get; private set; }

        public static async Task<Replicas> StartAsync(RedisServer redis, string tenant, Dictionary<string, string> overrides,
            int? slowTurnMs = null, int? defaultTenantKeyLimit = null, bool createTenant = true)
        {
            GatewayApp Create(string? database, string audit)
            {
                var settings = new Dictionary<string, string?>
                {
                    ["ConnectionStrings:redis"] = redis.ConnectionString,
                    ["SomaAgent:Audit:Path"] = audit,
                };
                foreach (var (name, value) in overrides)
                {
                    settings[$"SomaAgent:RateLimits:Tenants:{tenant}:{name}"] = value;
                }
                if (slowTurnMs is { } slow)
                {
                    settings["SomaAgent:Models:Simulated:TimeToFirstTokenMs"] = slow.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                if (defaultTenantKeyLimit is { } limit)
                {
                    settings["SomaAgent:RateLimits:Tenants:default:KeyRequestsPerMinute"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                return new GatewayApp(databaseFile: database, settings: settings);
            }

            var folder = Directory.CreateTempSubdirectory("somaagent-rl-").FullName;
            var a = Create(null, Path.Combine(folder, "audit-a.jsonl"));
            // Started one after the other: the first creates the database.
            using (a.CreateClient())
            {
            }
            var b = Create(a.DatabaseFile, Path.Combine(folder, "audit-b.jsonl"));
            using (b.CreateClient())
            {
            }
            var replicas = new Replicas(a, b, tenant);
            if (createTenant)
            {
                using var admin = a.CreateClient();
                using var response = await admin.PostAsJsonAsync("/v1/tenants", new { id = tenant }, GatewayApp.Json, Ct);
                response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
                replicas.AdminKey = body.GetProperty("admin_key").GetProperty("secret").GetString();
            }
            return replicas;
        }

        /// <summary>A new sessions key of the tenant, created by its admin key (one request of the tenant's).</summary>
        public async Task<string> CreateKeyAsync() =>
            SecurityClient.SecretOf(await SecurityClient.CreateKeyAsync(A, AdminKey!, ["sessions:read", "sessions:write"]));

        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }
}
