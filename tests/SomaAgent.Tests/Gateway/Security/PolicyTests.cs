using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Security;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Policy;
using SomaAgent.Security.Problems;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>
/// The gateway's policy step against a fake OPA (the documented data API, deciding from the shipped
/// deploy/policies/data.json): what OPA is asked, what a denial, a timeout, an error, garbage and a stopped OPA
/// turn into, with and without POLICY_FAIL_OPEN, and the audit line each leaves.
/// </summary>
public sealed class PolicyTests
{
    /// <summary>A tenant the shipped data.json suspends.</summary>
    public const string SuspendedTenant = "suspended-example";
    private const string SuspendedReason = "The tenant is suspended; ask the platform operator.";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_pass_when_OPA_allows_and_OPA_is_asked_with_the_caller_and_the_route_template()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        await using var app = WithOpa(opa);
        var id = await app.CreateSessionAsync(new { input = "hello" }, Ct);
        using var client = app.CreateClient();

        using var response = await client.GetAsync($"/v1/sessions/{id}", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        opa.ShapeErrors.ShouldBe(0);
        var input = opa.Inputs.Last(i => i.GetProperty("route").GetString() == "/v1/sessions/{id}");
        input.GetProperty("kind").GetString().ShouldBe("request");
        input.GetProperty("method").GetString().ShouldBe("GET");
        input.GetProperty("resource").GetString().ShouldBe(id.ToString());
        input.GetProperty("tenant").GetString().ShouldBe("default");
        input.GetProperty("subject").GetString().ShouldNotBeNullOrEmpty();
        input.GetProperty("subject").GetString().ShouldNotBe("anonymous");
        input.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ShouldContain(ApiKeyScopes.PlatformAdmin);
        opa.Inputs.ShouldContain(i => i.GetProperty("route").GetString() == "/v1/sessions" && i.GetProperty("method").GetString() == "POST");
    }

    [Fact]
    public async Task Health_and_the_API_documents_are_never_decided_by_the_policy()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        opa.Mode = OpaFakeMode.ServerError;
        await using var app = WithOpa(opa);
        using var client = app.CreateAnonymousClient();

        (await client.GetAsync("/v1/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/openapi.json", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/alive", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        opa.Requests.ShouldBe(0);
    }

    [Fact]
    public async Task A_denial_is_403_with_the_policy_reason_and_is_audited()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        await using var app = WithOpa(opa);
        var key = await CreateSuspendedTenantAsync(app);
        using var client = app.CreateClientWith(key);

        using var response = await client.GetAsync("/v1/sessions", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        problem.GetProperty("type").GetString().ShouldBe(ProblemCatalog.DeniedByPolicy.Type);
        problem.GetProperty("title").GetString().ShouldBe("Denied by policy");
        problem.GetProperty("detail").GetString().ShouldBe(SuspendedReason);
        var entry = await WaitForAuditAsync(app, "policy_denied", e => e.GetProperty("tenant").GetString() == SuspendedTenant);
        entry.GetProperty("decision").GetString().ShouldBe("deny");
        entry.GetProperty("reason").GetString().ShouldBe(SuspendedReason);
        entry.GetProperty("method").GetString().ShouldBe("GET");
        entry.GetProperty("route").GetString().ShouldBe("/v1/sessions");
        entry.GetProperty("subject").GetString().ShouldNotBeNullOrEmpty();
        entry.GetProperty("trace_id").GetString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task The_built_in_rules_decide_the_same_without_OPA()
    {
        await using var app = new GatewayApp();
        var key = await CreateSuspendedTenantAsync(app);
        using var client = app.CreateClientWith(key);

        using var response = await client.GetAsync("/v1/sessions", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        problem.GetProperty("detail").GetString().ShouldBe(SuspendedReason);
        app.Services.GetRequiredService<IPolicyDecider>().ShouldBeOfType<BuiltInPolicyDecider>();
    }

    [Fact]
    public async Task An_OPA_that_does_not_answer_in_time_gets_503_by_default()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        await using var app = WithOpa(opa, new() { ["POLICY_TIMEOUT_MS"] = "200" });
        using var client = app.CreateClient();
        await WarmUpAsync(client, opa);
        var before = opa.Requests;
        opa.Delay = TimeSpan.FromSeconds(5);

        var started = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync("/v1/sessions", Ct);
        var elapsed = Stopwatch.GetElapsedTime(started);

        var problem = await ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        problem.GetProperty("type").GetString().ShouldBe(ProblemCatalog.PolicyUnavailable.Type);
        problem.GetProperty("detail").GetString()!.ShouldContain("did not answer within 200 ms");
        elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(3), "one attempt, bounded by POLICY_TIMEOUT_MS");
        opa.Requests.ShouldBe(before + 1, "no retries");
        var entry = await WaitForAuditAsync(app, "policy_unavailable");
        entry.GetProperty("decision").GetString().ShouldBe("deny");
    }

    [Fact]
    public async Task An_OPA_error_gets_503_after_a_single_attempt()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        opa.Mode = OpaFakeMode.ServerError;
        await using var app = WithOpa(opa);
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/v1/sessions", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        problem.GetProperty("detail").GetString()!.ShouldContain("OPA answered 500");
        opa.Requests.ShouldBe(1, "the default resilience handler must not retry policy calls");
        (await WaitForAuditAsync(app, "policy_unavailable")).GetProperty("reason").GetString()!.ShouldContain("500");
    }

    [Fact]
    public async Task An_OPA_answering_garbage_gets_503()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        opa.Mode = OpaFakeMode.Garbage;
        await using var app = WithOpa(opa);
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/v1/sessions", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.ServiceUnavailable);
        problem.GetProperty("detail").GetString()!.ShouldContain("not JSON");
    }

    [Fact]
    public async Task An_undefined_policy_denies()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        opa.Mode = OpaFakeMode.Undefined;
        await using var app = WithOpa(opa);
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/v1/sessions", Ct);

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        problem.GetProperty("detail").GetString().ShouldBe("policy undefined");
    }

    [Fact]
    public async Task Fail_open_lets_requests_through_when_OPA_is_gone_and_audits_each()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        await using var app = WithOpa(opa, new() { ["POLICY_FAIL_OPEN"] = "true" });
        using var client = app.CreateClient();
        await opa.StopAsync();

        using var response = await client.GetAsync("/v1/sessions", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        var entry = await WaitForAuditAsync(app, "policy_fail_open");
        entry.GetProperty("decision").GetString().ShouldBe("allow");
        entry.GetProperty("route").GetString().ShouldBe("/v1/sessions");
        entry.GetProperty("reason").GetString()!.ShouldContain("could not be reached");
    }

    [Fact]
    public async Task A_stopped_OPA_gets_503_without_fail_open()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        await using var app = WithOpa(opa);
        using var client = app.CreateClient();
        await opa.StopAsync();

        using var response = await client.GetAsync("/v1/sessions", Ct);

        var body = await response.Content.ReadAsStringAsync(Ct);
        (await ProblemAsync(response, HttpStatusCode.ServiceUnavailable)).GetProperty("detail").GetString()!.ShouldContain("POLICY_FAIL_OPEN");
        body.ShouldNotContain("Exception");
        body.ShouldNotContain(" at ");
    }

    [Fact]
    public async Task With_authentication_off_the_policy_decides_for_the_anonymous_subject()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        await using var app = WithOpa(opa, new() { ["GATEWAY_REQUIRE_AUTH"] = "false" });
        using var client = app.CreateAnonymousClient();

        using var response = await client.GetAsync("/v1/sessions", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var input = opa.Inputs[^1];
        input.GetProperty("subject").GetString().ShouldBe("anonymous");
        input.GetProperty("tenant").GetString().ShouldBe("default");
        input.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ShouldBe(ApiKeyScopes.All);
    }

    [Fact]
    public async Task One_OPA_decision_over_loopback_takes_a_few_milliseconds()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        await using var app = WithOpa(opa);
        var decider = app.Services.GetRequiredService<IPolicyDecider>().ShouldBeOfType<OpaPolicyDecider>();
        var input = new PolicyInput { Kind = PolicyKinds.Request, Method = "GET", Route = "/v1/sessions", Tenant = "default", Subject = "k" };
        for (var i = 0; i < 20; i++)
        {
            await decider.DecideAsync(input, Ct);
        }

        var times = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var started = Stopwatch.GetTimestamp();
            (await decider.DecideAsync(input, Ct)).Outcome.ShouldBe(PolicyOutcome.Allow);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        times.Sort();
        var (p50, p99) = (times[times.Count / 2], times[(int)(times.Count * 0.99)]);
        TestContext.Current.TestOutputHelper?.WriteLine($"OPA decision over loopback (fake): p50 {p50:0.00} ms, p99 {p99:0.00} ms");
        p50.ShouldBeLessThan(50);
    }

    /// <summary>
    /// A gateway asking <paramref name="opa"/>. The timeout is generous unless a test sets it: a cold first call
    /// (JIT, a new connection) on a busy 2-core machine can take longer than the 500 ms default.
    /// </summary>
    internal static GatewayApp WithOpa(OpaFake opa, Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings["OPA_URL"] = opa.Url;
        settings.TryAdd("POLICY_TIMEOUT_MS", "10000");
        return new GatewayApp(settings: settings);
    }

    /// <summary>Allowed requests until one passes in time, so the next one meets warm code and an open connection.</summary>
    private static async Task WarmUpAsync(HttpClient client, OpaFake opa)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var response = await client.GetAsync("/v1/sessions", Ct);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }
        }
        throw new InvalidOperationException($"The gateway never got a decision in time from the fake OPA ({opa.Requests} requests).");
    }

    /// <summary>Creates the tenant the shipped policy suspends and returns its admin key.</summary>
    internal static async Task<string> CreateSuspendedTenantAsync(GatewayApp app) => await CreateNamedTenantAsync(app, SuspendedTenant);

    /// <summary>Creates a tenant with a fixed id (each app has its own database) and returns its admin key.</summary>
    internal static async Task<string> CreateNamedTenantAsync(GatewayApp app, string id)
    {
        using var admin = app.CreateClient();
        using var response = await admin.PostAsJsonAsync("/v1/tenants", new { id }, GatewayApp.Json, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
        return body.GetProperty("admin_key").GetProperty("secret").GetString()!;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        response.StatusCode.ShouldBe(status, await response.Content.ReadAsStringAsync(Ct));
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        return await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
    }

    /// <summary>Waits for the app's audit entry of <paramref name="auditEvent"/> (the writer is asynchronous).</summary>
    internal static Task<JsonElement> WaitForAuditAsync(GatewayApp app, string auditEvent, Func<JsonElement, bool>? match = null) =>
        AuditFile.WaitForAsync(app.AuditFile, e => e.Field("event") == auditEvent && (match is null || match(e)), Ct);
}
