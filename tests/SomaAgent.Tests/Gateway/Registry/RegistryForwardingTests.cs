using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway.Security;
using SomaAgent.Tests.Registry.Marketplace;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Gateway.Registry;

/// <summary>
/// One base URL: the gateway forwards the registry's routes, authenticating, rate-limiting and auditing each request
/// once; the registry takes the caller the gateway vouches for and decides scopes, access and policy.
/// </summary>
[Collection(ForwardingCollection.Name)]
public sealed class RegistryForwardingTests(ForwardingGateway apps)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_capsule_published_through_the_gateway_reads_back_through_it_and_directly_at_the_registry()
    {
        using var tenant = await TenantAtGatewayAsync();

        var name = await tenant.PublishNewAsync("1.0.0");

        var throughGateway = await tenant.Client.GetStringAsync($"/v1/capsules/{name}/1.0.0", Ct);
        using var direct = apps.Registry.CreateClientWith(tenant.AdminKey);
        var atRegistry = await direct.GetStringAsync($"/v1/capsules/{name}/1.0.0", Ct);
        JsonDocument.Parse(throughGateway).RootElement.GetProperty("digest").GetString()
            .ShouldBe(JsonDocument.Parse(atRegistry).RootElement.GetProperty("digest").GetString());
        (await tenant.Client.GetByteArrayAsync($"/v1/capsules/{name}/1.0.0/package", Ct))
            .ShouldBe(await direct.GetByteArrayAsync($"/v1/capsules/{name}/1.0.0/package", Ct));
    }

    [Fact]
    public async Task The_registry_gets_the_caller_the_gateway_authenticated_and_never_the_key()
    {
        using var tenant = await TenantAtGatewayAsync(registerKey: false);
        var path = $"/v1/capsules?q={Guid.NewGuid():N}";

        (await tenant.Client.GetAsync(path, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var received = apps.Registry.Received.Last(r => r.Path == "/v1/capsules");
        received.ForwardedCaller.ShouldBeTrue();
        received.Authorization.ShouldBeFalse();
        received.ApiKey.ShouldBeFalse();
    }

    [Fact]
    public async Task A_caller_header_sent_by_a_client_is_replaced_by_the_gateway_and_refused_by_the_registry()
    {
        using var tenant = await TenantAtGatewayAsync(registerKey: false);
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/v1/installations");
        forged.Headers.Add("X-SomaAgent-Caller", "v1.eyJ0IjoiZGVmYXVsdCJ9.AAAA");

        using var throughGateway = await tenant.Client.SendAsync(forged, Ct);
        using var direct = apps.Registry.CreateClientWith(null);
        direct.DefaultRequestHeaders.Add("X-SomaAgent-Caller", "v1.eyJ0IjoiZGVmYXVsdCJ9.AAAA");
        using var atRegistry = await direct.GetAsync("/v1/installations", Ct);

        throughGateway.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ShouldBeUnauthorizedAsync(atRegistry)).ShouldContain("not signed");
    }

    [Fact]
    public async Task A_request_without_a_credential_is_refused_and_audited_by_the_gateway_alone()
    {
        using var anonymous = apps.Gateway.CreateAnonymousClient();
        var marker = Guid.NewGuid().ToString("N");
        var before = apps.Registry.Received.Count;

        using var response = await anonymous.GetAsync($"/v1/capsules/{marker}", Ct);

        await ShouldBeUnauthorizedAsync(response);
        apps.Registry.Received.Skip(before).ShouldNotContain(r => r.Path.Contains(marker, StringComparison.Ordinal));
        await AuditFile.WaitForAsync(apps.Gateway.AuditFile,
            e => e.GetProperty("event").GetString() == "authentication_failed" && e.GetProperty("route").GetString() == "/v1/capsules/{**rest}", Ct);
    }

    [Fact]
    public async Task A_missing_scope_is_refused_and_audited_by_the_registry_alone()
    {
        var (tenant, admin) = await CreateTenantAsync(apps.Gateway);
        using var sessionsOnly = apps.Gateway.CreateClientWith(SecretOf(await CreateKeyAsync(apps.Gateway, admin, ["sessions:read"])));

        using var response = await sessionsOnly.GetAsync("/v1/signing-keys", Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden")).Detail().ShouldContain("capsules:publish");
        await AuditFile.WaitForAsync(apps.Registry.AuditFile,
            e => e.GetProperty("event").GetString() == "scope_denied" && e.GetProperty("tenant").GetString() == tenant, Ct);
        AuditFile.Read(apps.Gateway.AuditFile).ShouldNotContain(e => e.GetProperty("event").GetString() == "scope_denied" && e.GetProperty("tenant").GetString() == tenant);
    }

    [Fact]
    public async Task The_gateway_rate_limits_forwarded_requests_and_a_refused_one_never_reaches_the_registry()
    {
        using var admin = apps.Gateway.CreateClient();
        using var created = await admin.PostAsJsonAsync("/v1/tenants", new { id = ForwardingGateway.LimitedTenant }, GatewayApp.Json, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var key = (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("admin_key").GetProperty("secret").GetString();
        using var client = apps.Gateway.CreateClientWith(key);
        var marker = Guid.NewGuid().ToString("N");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < ForwardingGateway.LimitedRequestsPerMinute + 1; i++)
        {
            using var response = await client.GetAsync($"/v1/capsules?q={marker}", Ct);
            statuses.Add(response.StatusCode);
        }

        statuses.ShouldBe([.. Enumerable.Repeat(HttpStatusCode.OK, ForwardingGateway.LimitedRequestsPerMinute), HttpStatusCode.TooManyRequests]);
        apps.Registry.Received.Count(r => r.Path == "/v1/capsules" && r.ForwardedCaller).ShouldBeGreaterThanOrEqualTo(ForwardingGateway.LimitedRequestsPerMinute);
        await AuditFile.WaitForAsync(apps.Gateway.AuditFile,
            e => e.GetProperty("event").GetString() == "rate_limited" && e.GetProperty("tenant").GetString() == ForwardingGateway.LimitedTenant, Ct);
        AuditFile.Read(apps.Registry.AuditFile).ShouldNotContain(e => e.GetProperty("event").GetString() == "rate_limited");
    }

    [Fact]
    public async Task A_capsule_larger_than_the_gateways_own_body_limit_goes_through_to_the_registry()
    {
        using var tenant = await TenantAtGatewayAsync();
        var package = CapsuleBuilder.PackageOfSize("cap-" + Guid.NewGuid().ToString("N")[..12], "1.0.0", 2 * 1024 * 1024);
        package.Length.ShouldBeGreaterThan(1024 * 1024);

        using var response = await tenant.PublishAsync(package);

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task A_capsule_over_REGISTRY_MAX_CAPSULE_BYTES_is_refused_at_the_gateway()
    {
        using var tenant = await TenantAtGatewayAsync();
        var before = apps.Registry.Received.Count(r => r.Method == "POST" && r.Path == "/v1/capsules");

        using var response = await tenant.PublishAsync(CapsuleBuilder.PackageOfSize("cap-" + Guid.NewGuid().ToString("N")[..12], "1.0.0", 6 * 1024 * 1024));

        (await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload-too-large")).Detail().ShouldContain("REGISTRY_MAX_CAPSULE_BYTES");
        apps.Registry.Received.Count(r => r.Method == "POST" && r.Path == "/v1/capsules").ShouldBe(before);
    }

    [Fact]
    public async Task The_capsule_schema_is_public_through_the_gateway()
    {
        using var anonymous = apps.Gateway.CreateAnonymousClient();

        using var response = await anonymous.GetAsync("/v1/capsule-schema", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("title").GetString().ShouldNotBeNullOrEmpty();
    }

    /// <summary>A new tenant whose client talks to the gateway, with its signing key registered through it.</summary>
    private Task<Tenant> TenantAtGatewayAsync(bool registerKey = true) => Tenant.CreateAsync(apps.Gateway, apps.Gateway.CreateClientWith, registerKey);
}

/// <summary>A registry that does not answer costs only its own routes.</summary>
public sealed class RegistryDownTests : IAsyncLifetime
{
    private GatewayApp _gateway = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _gateway = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["services:registry:http:0"] = $"http://127.0.0.1:{SomaAgent.Tests.Infrastructure.RedisServer.FreeLoopbackPort()}",
            ["SOMAAGENT_INTERNAL_SECRET"] = ForwardingGateway.InternalSecret,
        });
        _ = _gateway.Server;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task The_registrys_routes_answer_503_problem_while_the_gateways_own_routes_and_health_keep_working()
    {
        using var client = _gateway.CreateClient();

        using var response = await client.GetAsync("/v1/capsules", Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "registry-unavailable");
        problem.Detail().ShouldContain("registry did not answer");
        response.Headers.RetryAfter.ShouldNotBeNull();
        (await client.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
