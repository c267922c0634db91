using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace SomaAgent.Tests.AppHost;

/// <summary>The embedded topology started for real through the AppHost, used the way a developer would.</summary>
[Collection(EmbeddedTopologyCollection.Name)]
public sealed class EmbeddedTopologyTests(EmbeddedTopology topology)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gateway_answers_a_session_with_the_calculated_result()
    {
        using var gateway = topology.App.CreateHttpClient("gateway");
        gateway.DefaultRequestHeaders.Authorization = new("Bearer", topology.BootstrapKey);

        var created = await gateway.PostAsJsonAsync("/v1/sessions", new { input = "What is 6*7?" }, Ct).WaitAsync(RequestTimeout, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var session = await WaitForEndAsync(gateway, id).WaitAsync(RequestTimeout, Ct);

        session.GetProperty("status").GetString().ShouldBe("completed", session.ToString());
        session.GetProperty("output").GetString().ShouldNotBeNull().ShouldContain("42");
    }

    [Fact]
    public void Gateway_listens_on_the_configured_port()
    {
        topology.App.GetEndpoint("gateway", "http").Port.ShouldBe(topology.GatewayPort);
    }

    [Fact]
    public void Gateway_keeps_its_database_in_the_configured_data_directory()
    {
        Directory.EnumerateFiles(topology.DataDirectory).ShouldNotBeEmpty();
    }

    [Fact]
    public async Task Registry_reports_healthy()
    {
        using var registry = topology.App.CreateHttpClient("registry", "http");

        var response = await registry.GetAsync("/health", Ct).WaitAsync(RequestTimeout, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldBe("Healthy");
    }

    [Fact]
    public async Task Registry_accepts_the_gateways_bootstrap_key_and_refuses_no_key()
    {
        using var registry = topology.App.CreateHttpClient("registry", "http");

        var anonymous = await registry.GetAsync("/v1/me", Ct).WaitAsync(RequestTimeout, Ct);
        registry.DefaultRequestHeaders.Authorization = new("Bearer", topology.BootstrapKey);
        var me = await registry.GetFromJsonAsync<JsonElement>("/v1/me", Ct).WaitAsync(RequestTimeout, Ct);

        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        me.GetProperty("tenant").GetString().ShouldBe("default");
        me.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()).ShouldContain("platform:admin");
    }

    [Fact]
    public async Task Web_leads_a_visitor_to_sign_in_and_a_bootstrap_key_signs_in_to_the_sessions_page()
    {
        var cookies = new System.Net.CookieContainer();
        using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        using var web = new HttpClient(handler) { BaseAddress = topology.App.GetEndpoint("web", "http") };

        using var home = await web.GetAsync("/", Ct).WaitAsync(RequestTimeout, Ct);
        var login = await web.GetStringAsync("/account/login?returnUrl=%2Fsessions", Ct).WaitAsync(RequestTimeout, Ct);
        var token = System.Text.RegularExpressions.Regex.Match(login, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        using var signIn = await web.PostAsync("/account/login?returnUrl=%2Fsessions", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "api-key",
            ["Input.Key"] = topology.BootstrapKey,
            ["Input.ReturnUrl"] = "/sessions",
        }), Ct).WaitAsync(RequestTimeout, Ct);
        var sessions = await web.GetStringAsync("/sessions", Ct).WaitAsync(RequestTimeout, Ct);

        home.StatusCode.ShouldBe(HttpStatusCode.Found);
        home.Headers.Location!.AbsolutePath.ShouldBe("/account/login");
        login.ShouldContain("Sign in to SomaAgent");
        token.ShouldNotBeEmpty();
        signIn.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signIn.Content.ReadAsStringAsync(Ct));
        signIn.Headers.Location!.AbsolutePath.ShouldBe("/sessions");
        var cookie = cookies.GetCookies(web.BaseAddress!).Single(c => c.Name == "somaagent.web");
        cookie.Value.ShouldNotContain(topology.BootstrapKey);
        cookie.Value.Length.ShouldBeLessThan(600, "the cookie holds the ticket's id, not the ticket");
        sessions.ShouldContain("Start a session");
        sessions.ShouldContain("soma-simulated-1");
    }

    private static async Task<JsonElement> WaitForEndAsync(HttpClient gateway, Guid id)
    {
        while (true)
        {
            var session = await gateway.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", Ct);
            if (session.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
            {
                return session;
            }
            await Task.Delay(50, Ct);
        }
    }
}
