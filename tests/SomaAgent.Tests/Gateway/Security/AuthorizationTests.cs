using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>Every /v1 route but health needs a key; scopes and tenants bound what a key may do and see.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuthorizationTests(SharedGateway gateway)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private GatewayApp App => gateway.App;

    [Fact]
    public async Task Every_v1_route_but_health_answers_401_without_credentials()
    {
        using var anonymous = App.CreateAnonymousClient();

        await EveryProtectedRouteAnswersAsync(anonymous, HttpStatusCode.Unauthorized, tenantHeader: null);
    }

    [Fact]
    public async Task Every_v1_route_but_health_answers_401_to_a_revoked_key()
    {
        var (_, admin) = await CreateTenantAsync(App);
        var created = await CreateKeyAsync(App, admin, ["tenant:admin"]);
        using var adminClient = App.CreateClientWith(admin);
        (await adminClient.DeleteAsync($"/v1/keys/{IdOf(created)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        using var revoked = App.CreateClientWith(SecretOf(created));

        await EveryProtectedRouteAnswersAsync(revoked, HttpStatusCode.Unauthorized, tenantHeader: null);
    }

    [Fact]
    public async Task Every_v1_route_but_health_answers_403_to_a_tenant_header_naming_another_tenant()
    {
        var (_, admin) = await CreateTenantAsync(App);
        var (other, _) = await CreateTenantAsync(App);
        using var client = App.CreateClientWith(admin);

        await EveryProtectedRouteAnswersAsync(client, HttpStatusCode.Forbidden, tenantHeader: other);
    }

    /// <summary>Walks every operation of the served OpenAPI document and asserts none but health gets through.</summary>
    private async Task EveryProtectedRouteAnswersAsync(HttpClient client, HttpStatusCode expected, string? tenantHeader)
    {
        foreach (var (path, method) in await ApiOperationsAsync(App))
        {
            var url = path.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
            if (method is "post" or "put" or "patch")
            {
                request.Content = JsonContent.Create(new { });
            }
            if (tenantHeader is not null)
            {
                request.Headers.Add("X-Tenant-Id", tenantHeader);
            }
            using var response = await client.SendAsync(request, Ct);
            if (path == "/v1/health")
            {
                response.StatusCode.ShouldNotBe(expected);
                continue;
            }
            response.StatusCode.ShouldBe(expected, $"{method.ToUpperInvariant()} {path} let the request through");
            if (expected == HttpStatusCode.Unauthorized)
            {
                response.Headers.WwwAuthenticate.ShouldNotBeEmpty($"{method.ToUpperInvariant()} {path}");
            }
        }
    }

    [Fact]
    public async Task A_key_without_the_routes_scope_gets_403_naming_the_scope()
    {
        var (_, admin) = await CreateTenantAsync(App);
        var readOnly = SecretOf(await CreateKeyAsync(App, admin, ["sessions:read"]));
        using var client = App.CreateClientWith(readOnly);

        (await client.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var detail = await ShouldBeForbiddenAsync(await client.PostAsJsonAsync("/v1/sessions", new { input = "hi" }, GatewayApp.Json, Ct));
        detail.ShouldContain("'sessions:write'");
    }

    [Fact]
    public async Task A_tenant_admin_cannot_create_tenants()
    {
        var (_, admin) = await CreateTenantAsync(App);
        using var client = App.CreateClientWith(admin);

        (await ShouldBeForbiddenAsync(await client.PostAsJsonAsync("/v1/tenants", new { id = "sneaky" }, GatewayApp.Json, Ct)))
            .ShouldContain("'platform:admin'");
        (await ShouldBeForbiddenAsync(await client.GetAsync("/v1/tenants", Ct))).ShouldContain("'platform:admin'");
    }

    [Fact]
    public async Task A_key_cannot_grant_a_scope_its_creator_lacks()
    {
        var (_, admin) = await CreateTenantAsync(App);
        using var client = App.CreateClientWith(admin);

        using var response = await client.PostAsJsonAsync("/v1/keys", new { name = "escalate", scopes = (string[])["platform:admin"] }, GatewayApp.Json, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldContain("platform:admin");
    }

    [Fact]
    public async Task Tenant_b_cannot_read_or_list_tenant_a_sessions()
    {
        var (_, adminA) = await CreateTenantAsync(App);
        var (_, adminB) = await CreateTenantAsync(App);
        using var clientA = App.CreateClientWith(adminA);
        using var created = await clientA.PostAsJsonAsync("/v1/sessions", new { input = "secret plans" }, GatewayApp.Json, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("id").GetGuid();

        using var clientB = App.CreateClientWith(adminB);
        (await clientB.GetAsync($"/v1/sessions/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await clientB.GetStringAsync("/v1/sessions", Ct)).ShouldNotContain(id.ToString());
        (await clientA.GetAsync($"/v1/sessions/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_x_tenant_id_naming_another_tenant_gets_403_and_the_own_tenant_passes()
    {
        var (tenantA, adminA) = await CreateTenantAsync(App);
        var (tenantB, _) = await CreateTenantAsync(App);
        using var client = App.CreateClientWith(adminA);

        using var mismatch = new HttpRequestMessage(HttpMethod.Get, "/v1/sessions") { Headers = { { "X-Tenant-Id", tenantB } } };
        (await ShouldBeForbiddenAsync(await client.SendAsync(mismatch, Ct))).ShouldContain(tenantA);
        using var match = new HttpRequestMessage(HttpMethod.Get, "/v1/sessions") { Headers = { { "X-Tenant-Id", tenantA } } };
        (await client.SendAsync(match, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_platform_admin_acts_for_the_tenant_its_x_tenant_id_names()
    {
        var (tenant, admin) = await CreateTenantAsync(App);
        using var tenantClient = App.CreateClientWith(admin);
        using var created = await tenantClient.PostAsJsonAsync("/v1/sessions", new { input = "hello" }, GatewayApp.Json, Ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("id").GetGuid();

        using var platform = App.CreateClient();
        (await platform.GetAsync($"/v1/sessions/{id}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var actingFor = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}") { Headers = { { "X-Tenant-Id", tenant } } };
        (await platform.SendAsync(actingFor, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
