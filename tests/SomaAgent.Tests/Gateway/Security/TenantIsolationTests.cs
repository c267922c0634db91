using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>A tenant's key never reaches another tenant's sessions or keys, and every attempt is audited.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TenantIsolationTests(SharedGateway gateway)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private GatewayApp App => gateway.App;

    [Fact]
    public async Task No_route_lets_another_tenants_key_touch_a_tenants_session_or_key()
    {
        // Tenant A is the default tenant, so the app's own helpers (bootstrap key) can wait on its session.
        var keyA = await CreateKeyAsync(App, GatewayApp.BootstrapKey, ["sessions:read"]);
        using var clientA = App.CreateClient();
        var sessionA = await CreateSessionAsync(clientA, "tenant A's secret plans");
        var before = await EndedSessionAsync(clientA, sessionA);
        var (_, adminB) = await CreateTenantAsync(App);
        using var clientB = App.CreateClientWith(adminB);

        foreach (var (path, method) in (await ApiOperationsAsync(App)).Where(o => o.Path != "/v1/health"))
        {
            var url = path.Replace("{id}", (path.StartsWith("/v1/keys", StringComparison.Ordinal) ? IdOf(keyA) : sessionA).ToString(), StringComparison.Ordinal);
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
            if (method is "post" or "put" or "patch")
            {
                request.Content = JsonContent.Create(new { input = "hello", name = "k", scopes = (string[])["sessions:read"], id = "x-" + Guid.NewGuid().ToString("N")[..8], model = "soma-simulated-1", messages = new[] { new { role = "user", content = "hi" } } });
            }
            using var response = await clientB.SendAsync(request, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            var what = $"{method.ToUpperInvariant()} {path} as tenant B answered {(int)response.StatusCode}: {body}";
            body.ShouldNotContain("secret plans", Case.Insensitive, what);
            if (path.StartsWith("/v1/tenants", StringComparison.Ordinal))
            {
                // Tenants are the platform admin's alone: a tenant admin is refused before any lookup (the
                // problem's instance may repeat the id the caller sent).
                response.StatusCode.ShouldBe(HttpStatusCode.Forbidden, what);
                if (path.Contains("{id}", StringComparison.Ordinal))
                {
                    continue;
                }
            }
            else if (path.Contains("{id}", StringComparison.Ordinal))
            {
                // The 404 names the id the caller sent, and nothing else of it.
                response.StatusCode.ShouldBe(HttpStatusCode.NotFound, what);
                continue;
            }
            body.ShouldNotContain(sessionA.ToString(), Case.Insensitive, what);
            body.ShouldNotContain(IdOf(keyA).ToString(), Case.Insensitive, what);
        }

        // Nothing of tenant A changed: the session (no cancel, no new turn) and the key (not revoked).
        (await clientA.GetStringAsync($"/v1/sessions/{sessionA}", Ct)).ShouldBe(before);
        using var keyStillWorks = App.CreateClientWith(SecretOf(keyA));
        (await keyStillWorks.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Another_tenants_session_answers_exactly_like_a_missing_one()
    {
        var (_, adminA) = await CreateTenantAsync(App);
        var (_, adminB) = await CreateTenantAsync(App);
        using var clientA = App.CreateClientWith(adminA);
        var sessionA = await CreateSessionAsync(clientA, "hello");
        using var clientB = App.CreateClientWith(adminB);

        var foreign = await ProblemOfAsync(await clientB.GetAsync($"/v1/sessions/{sessionA}", Ct));
        var missingId = Guid.CreateVersion7();
        var missing = await ProblemOfAsync(await clientB.GetAsync($"/v1/sessions/{missingId}", Ct));

        foreign.Field("type").ShouldBe(missing.Field("type"));
        foreign.Field("title").ShouldBe(missing.Field("title"));
        foreign.Field("detail")!.Replace(sessionA.ToString(), "ID", StringComparison.Ordinal)
            .ShouldBe(missing.Field("detail")!.Replace(missingId.ToString(), "ID", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cross_tenant_attempt_is_audited_with_the_callers_tenant_and_key()
    {
        var (_, adminA) = await CreateTenantAsync(App);
        var (tenantB, adminB) = await CreateTenantAsync(App);
        var keyB = await CreateKeyAsync(App, adminB, ["sessions:write"]);
        using var clientA = App.CreateClientWith(adminA);
        var sessionA = await CreateSessionAsync(clientA, "hello");
        using var clientB = App.CreateClientWith(SecretOf(keyB));

        (await clientB.PostAsync($"/v1/sessions/{sessionA}/cancel", null, Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var entry = await AuditFile.WaitForAsync(App.AuditFile, e => e.Field("event") == "cross_tenant" && e.Field("tenant") == tenantB, Ct);
        entry.Field("subject").ShouldBe(IdOf(keyB).ToString());
        entry.Field("method").ShouldBe("POST");
        entry.Field("route").ShouldBe("/v1/sessions/{id}/cancel");
        entry.Field("decision").ShouldBe("deny");
        entry.Field("reason")!.ShouldContain($"session:{sessionA}");
        entry.Field("trace_id").ShouldNotBeNullOrEmpty();
    }

    /// <summary>The session once its turn has ended, so nothing but a foreign request could change it.</summary>
    private static async Task<string> EndedSessionAsync(HttpClient client, Guid id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var body = await client.GetStringAsync($"/v1/sessions/{id}", Ct);
            var status = JsonDocument.Parse(body).RootElement.GetProperty("status").GetString();
            if (status is "completed" or "failed" or "cancelled" || DateTime.UtcNow > deadline)
            {
                return body;
            }
            await Task.Delay(25, Ct);
        }
    }

    private static async Task<Guid> CreateSessionAsync(HttpClient client, string input)
    {
        using var created = await client.PostAsJsonAsync("/v1/sessions", new { input }, GatewayApp.Json, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("id").GetGuid();
    }

    private static async Task<JsonElement> ProblemOfAsync(HttpResponseMessage response)
    {
        using (response)
        {
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
            return await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct);
        }
    }
}
