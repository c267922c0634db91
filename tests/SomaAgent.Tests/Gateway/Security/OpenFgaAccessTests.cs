using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Infrastructure;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>With <c>OPENFGA_URL</c> set, ownership lives in OpenFGA: tuples written at creation, a check per resource route.</summary>
public sealed class OpenFgaAccessTests : IAsyncLifetime
{
    private readonly OpenFgaFake _openFga = new();
    private GatewayApp _app = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _openFga.InitializeAsync();
        _app = new GatewayApp(settings: new Dictionary<string, string?> { ["OPENFGA_URL"] = _openFga.Url.ToString() });
        _ = _app.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _openFga.DisposeAsync();
    }

    [Fact]
    public async Task Creating_a_session_writes_its_tenant_tuple_and_the_owner_passes_the_check()
    {
        using var client = _app.CreateClient();

        var id = await CreateSessionAsync(client);

        _openFga.Tuples.ShouldContain($"tenant:default tenant session:{id}");
        var checks = _openFga.Checks;
        (await client.GetAsync($"/v1/sessions/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        _openFga.Checks.ShouldBe(checks + 1);
    }

    [Fact]
    public async Task Keys_get_tuples_too_including_the_bootstrap_key_and_a_new_tenants_admin_key()
    {
        var (tenant, admin) = await CreateTenantAsync(_app);
        var created = await CreateKeyAsync(_app, admin, ["sessions:read"]);

        _openFga.Tuples.ShouldContain($"tenant:{tenant} tenant api_key:{IdOf(created)}");
        _openFga.Tuples.Count(t => t.StartsWith("tenant:default tenant api_key:", StringComparison.Ordinal)).ShouldBe(1);
        _openFga.Tuples.Count(t => t.StartsWith($"tenant:{tenant} tenant api_key:", StringComparison.Ordinal)).ShouldBe(2);
    }

    [Fact]
    public async Task Another_tenants_session_and_key_answer_404_after_OpenFGA_says_no()
    {
        using var owner = _app.CreateClient();
        var session = await CreateSessionAsync(owner);
        var (tenant, admin) = await CreateTenantAsync(_app);
        var key = IdOf(await CreateKeyAsync(_app, admin, ["sessions:read"]));
        using var intruder = _app.CreateClientWith(admin);
        using var defaultAdmin = _app.CreateClient();

        (await intruder.GetAsync($"/v1/sessions/{session}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await defaultAdmin.DeleteAsync($"/v1/keys/{key}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        await AuditFile.WaitForAsync(_app.AuditFile, e => e.Field("event") == "cross_tenant" && e.Field("tenant") == tenant
            && e.Field("reason")!.Contains($"session:{session}", StringComparison.Ordinal), Ct);
        await AuditFile.WaitForAsync(_app.AuditFile, e => e.Field("event") == "cross_tenant" && e.Field("tenant") == "default"
            && e.Field("reason")!.Contains($"api_key:{key}", StringComparison.Ordinal), Ct);
        using var stillValid = _app.CreateClientWith(admin);
        (await stillValid.GetAsync("/v1/keys", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_failing_OpenFGA_refuses_with_503_and_stores_nothing()
    {
        using var client = _app.CreateClient();
        var existing = await CreateSessionAsync(client);
        var before = await ListedSessionsAsync(client);

        _openFga.Failing = true;
        using var read = await client.GetAsync($"/v1/sessions/{existing}", Ct);
        using var create = await client.PostAsJsonAsync("/v1/sessions", new { input = "hello" }, GatewayApp.Json, Ct);
        _openFga.Failing = false;

        foreach (var response in new[] { read, create })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            response.Headers.RetryAfter.ShouldNotBeNull();
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
            problem.GetProperty("type").GetString().ShouldBe("urn:somaagent:problem:access-check-unavailable");
            problem.GetProperty("detail").GetString()!.ShouldContain("nothing was stored");
            problem.GetProperty("detail").GetString()!.ShouldNotContain("internal_error");
        }
        (await ListedSessionsAsync(client)).ShouldBe(before);
    }

    private static async Task<Guid> CreateSessionAsync(HttpClient client)
    {
        using var created = await client.PostAsJsonAsync("/v1/sessions", new { input = "hello" }, GatewayApp.Json, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        return (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("id").GetGuid();
    }

    private static async Task<int> ListedSessionsAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/v1/sessions?limit=100", GatewayApp.Json, Ct)).GetProperty("data").GetArrayLength();
}
