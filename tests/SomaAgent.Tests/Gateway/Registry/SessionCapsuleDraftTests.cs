using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway.Security;
using SomaAgent.Tests.Registry.Marketplace;

namespace SomaAgent.Tests.Gateway.Registry;

/// <summary>
/// A publisher tries a capsule before publishing it (<c>soma capsule test</c>): the session takes on the
/// <c>capsule.yaml</c> it is given as it would the installed capsule, checked by the Registry's own lint.
/// </summary>
[Collection(ForwardingCollection.Name)]
public sealed class SessionCapsuleDraftTests(ForwardingGateway apps)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Draft(string tools = "[calculator]", string extra = "") => $"""
        name: draft-desk
        version: 0.1.0
        description: Not yet published.
        publisher: Acme Labs
        system_prompt: You are the draft desk.
        tools:
          builtin: {tools}
        {extra}
        """;

    [Fact]
    public async Task A_draft_capsule_applies_as_an_installed_one_would_and_is_marked_draft()
    {
        using var client = BootstrapClient();

        var id = await CreateAsync(client, new { input = "What is 6*7?", capsule_draft = Draft() });

        var session = await apps.Gateway.WaitForEndAsync(id, Ct);
        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString()!.ShouldContain("42");
        session.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ShouldBe(["calculator"]);
        var capsule = session.GetProperty("capsule");
        (capsule.GetProperty("name").GetString(), capsule.GetProperty("version").GetString()).ShouldBe(("draft-desk", "0.1.0"));
        capsule.GetProperty("draft").GetBoolean().ShouldBeTrue();
        capsule.GetProperty("installation_id").ValueKind.ShouldBe(JsonValueKind.Null);
        capsule.GetProperty("digest").GetString()!.ShouldStartWith("sha256:");
        session.GetProperty("messages")[0].GetProperty("content").GetString().ShouldBe("You are the draft desk.");
        session.GetProperty("events")[0].GetProperty("type").GetString().ShouldBe("capsule.attached");
    }

    [Fact]
    public async Task The_first_preferred_model_the_deployment_offers_is_the_sessions_unless_the_request_names_one()
    {
        using var client = BootstrapClient();
        var draft = Draft(extra: $"models:\n  preferred: [not-offered, {ForwardingGateway.RemoteModel}]\n");

        var preferred = await CreateAsync(client, new { input = "hi", capsule_draft = draft });
        var named = await CreateAsync(client, new { input = "What is 6*7?", capsule_draft = draft, model = "soma-simulated-1" });

        (await apps.Gateway.WaitForEndAsync(preferred, Ct)).GetProperty("model").GetString().ShouldBe(ForwardingGateway.RemoteModel);
        (await apps.Gateway.WaitForEndAsync(named, Ct)).GetProperty("model").GetString().ShouldBe("soma-simulated-1");
    }

    [Fact]
    public async Task A_later_turn_of_a_draft_session_runs_without_asking_the_registry_how_it_stands()
    {
        using var client = BootstrapClient();
        var id = await CreateAsync(client, new { input = "What is 6*7?", capsule_draft = Draft() });
        await apps.Gateway.WaitForEndAsync(id, Ct);

        using var posted = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "And 5+5?" }, GatewayApp.Json, Ct);
        posted.StatusCode.ShouldBe(HttpStatusCode.Accepted, await posted.Content.ReadAsStringAsync(Ct));

        var session = await apps.Gateway.WaitForEndAsync(id, Ct);
        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("capsule").GetProperty("flagged").ValueKind.ShouldBe(JsonValueKind.Null);
        session.GetProperty("events").EnumerateArray().ShouldNotContain(e => e.GetProperty("type").GetString() == "capsule.flagged");
    }

    [Fact]
    public async Task A_draft_the_lint_rejects_is_refused_with_every_problem_and_its_line()
    {
        using var client = BootstrapClient();

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule_draft = Draft(tools: "[teleport]") }, GatewayApp.Json, Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "invalid-capsule");
        var first = problem.GetProperty("problems")[0];
        first.GetProperty("path").GetString().ShouldBe("tools.builtin[0]");
        first.GetProperty("line").GetInt32().ShouldBe(7);
    }

    [Fact]
    public async Task A_draft_needs_the_publish_scope()
    {
        using var client = await ClientWithScopesAsync("sessions:write", "sessions:read");

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule_draft = Draft() }, GatewayApp.Json, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden")).Detail().ShouldContain("capsules:publish");
    }

    [Fact]
    public async Task A_draft_and_an_installed_capsule_together_are_refused()
    {
        using var client = BootstrapClient();

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule = "weather", capsule_draft = Draft() }, GatewayApp.Json, Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").GetProperty("capsule_draft")[0].GetString()!.ShouldContain("not both");
    }

    [Fact]
    public async Task A_drafts_MCP_server_off_the_allow_list_is_refused_naming_the_field()
    {
        using var client = BootstrapClient();
        var draft = Draft(extra: "  mcp:\n    - name: elsewhere\n      url: http://127.0.0.1:9/mcp\n");

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule_draft = draft }, GatewayApp.Json, Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").GetProperty("capsule_draft")[0].GetString()!.ShouldContain("not on this deployment's allow-list");
    }

    private HttpClient BootstrapClient()
    {
        var client = apps.Gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", GatewayApp.BootstrapKey);
        return client;
    }

    private async Task<HttpClient> ClientWithScopesAsync(params string[] scopes)
    {
        using var admin = BootstrapClient();
        using var created = await admin.PostAsJsonAsync("/v1/keys", new { name = "no-publish", scopes }, GatewayApp.Json, Ct);
        var body = await created.Content.ReadAsStringAsync(Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        var client = apps.Gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JsonDocument.Parse(body).RootElement.GetProperty("secret").GetString());
        return client;
    }

    private static async Task<Guid> CreateAsync(HttpClient client, object request)
    {
        using var response = await client.PostAsJsonAsync("/v1/sessions", request, GatewayApp.Json, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }
}
