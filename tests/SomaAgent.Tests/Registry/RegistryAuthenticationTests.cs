using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SomaAgent.Registry;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Gateway.Security;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Registry;

/// <summary>The registry accepts exactly the gateway's credentials, checked by the same component against the same store.</summary>
public sealed class RegistryAuthenticationTests : IAsyncLifetime
{
    private readonly GatewayApp _gateway = new();
    private RegistryApp _registry = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _ = _gateway.Server; // creates and migrates the store, and installs the bootstrap key
        _registry = new RegistryApp(_gateway.DatabaseFile);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _registry.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task An_unknown_route_answers_the_platforms_problem_shape_with_a_trace_id()
    {
        using var client = _registry.CreateClientWith(GatewayApp.BootstrapKey);

        using var response = await client.GetAsync("/v1/teleport", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("type").GetString().ShouldBe(SomaAgent.Security.Problems.ProblemCatalog.RouteNotFound.Type);
        problem.GetProperty("detail").GetString().ShouldBe("No endpoint serves GET /v1/teleport. See /openapi.json for the routes.");
        problem.GetProperty("trace_id").GetString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_key_created_at_the_gateway_works_at_the_registry()
    {
        var (tenant, admin) = await CreateTenantAsync(_gateway);
        var key = await CreateKeyAsync(_gateway, admin, ["sessions:read"]);
        using var client = _registry.CreateClientWith(SecretOf(key));

        var me = await client.GetFromJsonAsync<JsonElement>("/v1/me", Ct);

        me.GetProperty("tenant").GetString().ShouldBe(tenant);
        me.GetProperty("subject").GetString().ShouldBe(IdOf(key).ToString());
        me.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ShouldBe(["sessions:read"]);
        me.GetProperty("scheme").GetString().ShouldBe("api_key");
        me.GetProperty("key_name").GetString().ShouldBe("test key");
    }

    [Fact]
    public async Task A_key_revoked_at_the_gateway_is_refused_by_the_registry_within_a_second()
    {
        var (_, admin) = await CreateTenantAsync(_gateway);
        var key = await CreateKeyAsync(_gateway, admin, ["sessions:read"]);
        using var client = _registry.CreateClientWith(SecretOf(key));
        (await client.GetAsync("/v1/me", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var gatewayAdmin = _gateway.CreateClientWith(admin);
        (await gatewayAdmin.DeleteAsync($"/v1/keys/{IdOf(key)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        // The registry verified the key moments ago and holds it in its cache until it hears of the revocation.
        (await ShouldBeUnauthorizedWithinAsync(client, "/v1/me", TimeSpan.FromSeconds(1))).ShouldContain("revoked");
    }

    [Fact]
    public async Task No_credential_gets_the_same_401_problem_as_at_the_gateway_and_is_audited()
    {
        using var anonymous = _registry.CreateClientWith(null);
        using var gatewayAnonymous = _gateway.CreateAnonymousClient();

        var registryDetail = await ShouldBeUnauthorizedAsync(await anonymous.GetAsync("/v1/me", Ct));
        var gatewayDetail = await ShouldBeUnauthorizedAsync(await gatewayAnonymous.GetAsync("/v1/me", Ct));

        registryDetail.ShouldBe(gatewayDetail);
        var entry = await AuditFile.WaitForAsync(_registry.AuditFile, e => e.Field("event") == "authentication_failed", Ct);
        entry.Field("route").ShouldBe("/v1/me");
    }

    [Fact]
    public async Task The_registry_asks_the_same_policy_and_audits_its_denial()
    {
        // The shipped rules refuse every request of the tenant 'suspended-example'.
        using var platform = _gateway.CreateClient();
        using var created = await platform.PostAsJsonAsync("/v1/tenants", new { id = "suspended-example" }, GatewayApp.Json, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var admin = (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("admin_key").GetProperty("secret").GetString()!;
        using var client = _registry.CreateClientWith(admin);

        var detail = await ShouldBeForbiddenAsync(await client.GetAsync("/v1/me", Ct));

        detail.ShouldContain("suspended");
        var entry = await AuditFile.WaitForAsync(_registry.AuditFile, e => e.Field("event") == "policy_denied", Ct);
        entry.Field("tenant").ShouldBe("suspended-example");
        entry.Field("route").ShouldBe("/v1/me");
    }

    [Fact]
    public async Task Health_and_the_service_description_need_no_credential()
    {
        using var anonymous = _registry.CreateClientWith(null);

        (await anonymous.GetAsync("/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await anonymous.GetAsync("/", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
