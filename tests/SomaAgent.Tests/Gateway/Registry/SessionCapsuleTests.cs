using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway.Security;
using SomaAgent.Tests.Registry.Marketplace;

namespace SomaAgent.Tests.Gateway.Registry;

/// <summary>
/// A session takes on an installed capsule: its system prompt opens the transcript, its built-in tools are the
/// session's, its limits bound the turns, the policy sees its name, and the events say so.
/// </summary>
[Collection(ForwardingCollection.Name)]
public sealed class SessionCapsuleTests(ForwardingGateway apps)
{
    private const string Prompt = "You are the weather desk. Answer briefly.";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_session_with_an_installed_capsule_takes_its_prompt_and_tools_and_says_so_in_its_events()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["calculator"]);

        var id = await CreateAsync(tenant, new { input = "What is 6*7?", capsule = name });

        var session = await apps.Gateway.WaitForEndAsync(id, Ct);
        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString()!.ShouldContain("42");
        session.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ShouldBe(["calculator"]);
        var capsule = session.GetProperty("capsule");
        capsule.GetProperty("name").GetString().ShouldBe(name);
        capsule.GetProperty("version").GetString().ShouldBe("1.0.0");
        capsule.GetProperty("digest").GetString()!.ShouldStartWith("sha256:");
        var transcript = session.GetProperty("messages").EnumerateArray().ToList();
        (transcript[0].GetProperty("role").GetString(), transcript[0].GetProperty("content").GetString()).ShouldBe(("system", Prompt));
        var events = session.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        events[0].ShouldBe("capsule.attached");
        events.ShouldContain("tool.call");
    }

    [Fact]
    public async Task Tools_the_capsule_does_not_declare_are_not_offered()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["clock"]);

        var id = await CreateAsync(tenant, new { input = "What is 6*7?", capsule = $"{name}@1.0.0" });

        var session = await apps.Gateway.WaitForEndAsync(id, Ct);
        session.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ShouldBe(["clock"]);
        session.GetProperty("events").EnumerateArray().ShouldNotContain(e => e.GetProperty("type").GetString() == "tool.call");
    }

    [Fact]
    public async Task Tools_asked_for_must_be_among_the_capsules()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["calculator"]);

        using var response = await tenant.Client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule = name, tools = (string[])["memory"] }, GatewayApp.Json, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).Detail().ShouldContain("not one of the tools of");
    }

    [Fact]
    public async Task A_capsule_that_is_not_installed_is_refused_naming_the_field()
    {
        using var tenant = await DefaultTenantAsync();

        using var response = await tenant.Client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule = "never-installed" }, GatewayApp.Json, Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").GetProperty("capsule")[0].GetString()!.ShouldContain("not installed");
    }

    [Fact]
    public async Task A_malformed_capsule_reference_is_refused_before_the_registry_is_asked()
    {
        using var tenant = await DefaultTenantAsync();

        using var response = await tenant.Client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule = "Not A Name" }, GatewayApp.Json, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).Detail().ShouldContain("not a capsule reference");
    }

    [Fact]
    public async Task A_yanked_version_is_refused_with_the_reason()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["calculator"]);
        (await tenant.Client.PostAsJsonAsync($"/v1/capsules/{name}/1.0.0/yank", new { reason = "wrong answers" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var response = await tenant.Client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule = name }, GatewayApp.Json, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.Conflict, "capsule-yanked")).Detail().ShouldContain("wrong answers");
    }

    [Fact]
    public async Task A_version_whose_key_was_revoked_is_refused()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["calculator"]);
        (await tenant.Client.DeleteAsync($"/v1/signing-keys/{tenant.Publisher.KeyId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        using var response = await tenant.Client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule = name }, GatewayApp.Json, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "signature-rejected")).Detail().ShouldContain("key_revoked");
    }

    [Fact]
    public async Task The_policy_decides_per_capsule()
    {
        // deploy/policies/data.json denies session memory to agents packaged as 'stateless-example'.
        using var tenant = await DefaultTenantAsync();
        await PublishAndInstallAsync(tenant, ["memory"], name: "stateless-example");

        var id = await CreateAsync(tenant, new { input = "remember that my color is blue", capsule = "stateless-example" });

        var session = await apps.Gateway.WaitForEndAsync(id, Ct);
        var result = session.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "tool.result").GetProperty("data");
        result.GetProperty("is_error").GetBoolean().ShouldBeTrue();
        result.GetProperty("result").ToString().ShouldContain("The capsule may not use session memory.");
    }

    [Fact]
    public async Task A_capsules_step_limit_bounds_the_turn()
    {
        var (name, session) = await AskWithLimitsAsync("limits:\n  max_steps_per_turn: 1\n");

        session.GetProperty("status").GetString().ShouldBe("failed");
        session.GetProperty("status_reason").GetString()!.ShouldContain($"the capsule {name}@1.0.0 sets it");
    }

    [Fact]
    public async Task A_capsule_attached_between_turns_applies_from_the_next_turn()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["clock"]);
        var id = await CreateAsync(tenant, new { input = "What is 6*7?" });
        var first = await apps.Gateway.WaitForEndAsync(id, Ct);
        first.GetProperty("events").EnumerateArray().ShouldContain(e => e.GetProperty("type").GetString() == "tool.call");

        using var attached = await tenant.Client.PostAsJsonAsync($"/v1/sessions/{id}/capsules", new { capsule = name }, GatewayApp.Json, Ct);
        attached.StatusCode.ShouldBe(HttpStatusCode.OK, await attached.Content.ReadAsStringAsync(Ct));
        (await tenant.Client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "What is 6*7 now?" }, GatewayApp.Json, Ct)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var second = await apps.Gateway.WaitForEndAsync(id, Ct, turn: 2);
        second.GetProperty("capsule").GetProperty("name").GetString().ShouldBe(name);
        second.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ShouldBe(["clock"]);
        second.GetProperty("messages").EnumerateArray().ShouldContain(m => m.GetProperty("role").GetString() == "system" && m.GetProperty("content").GetString() == Prompt);
        var events = second.GetProperty("events").EnumerateArray().ToList();
        var attachedAt = events.FindIndex(e => e.GetProperty("type").GetString() == "capsule.attached");
        attachedAt.ShouldBeGreaterThan(0);
        events.Skip(attachedAt).ShouldNotContain(e => e.GetProperty("type").GetString() == "tool.call", "turn 2 may not call the calculator, which the capsule does not offer");
    }

    [Fact]
    public async Task Attaching_a_capsule_another_tenant_installed_is_refused()
    {
        using var owner = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(owner, ["calculator"]);
        var (_, admin) = await SecurityClient.CreateTenantAsync(apps.Gateway);
        using var other = apps.Gateway.CreateClientWith(admin);
        using var created = await other.PostAsJsonAsync("/v1/sessions", new { input = "hi" }, GatewayApp.Json, Ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("id").GetGuid();

        using var response = await other.PostAsJsonAsync($"/v1/sessions/{id}/capsules", new { capsule = name }, GatewayApp.Json, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).Detail().ShouldContain("not installed");
    }

    [Fact]
    public async Task A_session_whose_capsule_version_is_yanked_later_goes_on_flagged()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["calculator"]);
        var id = await CreateAsync(tenant, new { input = "What is 6*7?", capsule = name });
        await apps.Gateway.WaitForEndAsync(id, Ct);
        (await tenant.Client.PostAsJsonAsync($"/v1/capsules/{name}/1.0.0/yank", new { reason = "leaks the prompt" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await tenant.Client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "And 7*8?" }, GatewayApp.Json, Ct)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        var session = await apps.Gateway.WaitForEndAsync(id, Ct, turn: 2);
        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString()!.ShouldContain("56");
        session.GetProperty("capsule").GetProperty("flagged").GetString().ShouldBe("yanked: leaks the prompt");
        var flagged = session.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "capsule.flagged");
        flagged.GetProperty("data").GetProperty("flagged").GetString().ShouldBe("yanked: leaks the prompt");
        flagged.GetProperty("turn").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task A_capsules_tool_call_limit_fails_the_turn_that_passes_it()
    {
        var (_, session) = await AskWithLimitsAsync("limits:\n  max_tool_calls: 0\n");

        session.GetProperty("status").GetString().ShouldBe("failed");
        session.GetProperty("status_reason").GetString()!.ShouldContain("limit of 0 tool calls");
        session.GetProperty("events").EnumerateArray().ShouldNotContain(e => e.GetProperty("type").GetString() == "tool.call");
        session.GetProperty("events").EnumerateArray().ShouldContain(e => e.GetProperty("type").GetString() == "error"
            && e.GetProperty("data").GetProperty("code").GetString() == "tool_call_limit");
    }

    [Fact]
    public async Task A_capsules_turn_limit_refuses_the_message_past_it()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["calculator"], limits: "limits:\n  max_turns: 2\n");
        var id = await CreateAsync(tenant, new { input = "What is 1+1?", capsule = name });
        await apps.Gateway.WaitForEndAsync(id, Ct);
        (await tenant.Client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "And 2+2?" }, GatewayApp.Json, Ct)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await apps.Gateway.WaitForEndAsync(id, Ct, turn: 2);

        using var third = await tenant.Client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "And 3+3?" }, GatewayApp.Json, Ct);

        (await third.ShouldBeProblemAsync(HttpStatusCode.Conflict, "turn-limit")).Detail().ShouldContain($"{name}@1.0.0 allows 2 turns");
    }

    [Fact]
    public async Task A_capsules_MCP_server_on_the_operators_allow_list_serves_its_tools_to_the_session()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["calculator"], mcp: $"  mcp:\n    - name: helper\n      url: {apps.McpUrl}\n      tools: [echo]\n");

        var id = await CreateAsync(tenant, new { input = "call web__echo {\"text\": \"hello from the capsule\"}", capsule = name });

        var session = await apps.Gateway.WaitForEndAsync(id, Ct);
        session.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ShouldBe(["calculator", "web__echo"]);
        var result = session.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "tool.result").GetProperty("data");
        result.GetProperty("name").GetString().ShouldBe("web__echo");
        result.GetProperty("is_error").GetBoolean().ShouldBeFalse();
        result.GetProperty("result").ToString().ShouldContain("hello from the capsule");
    }

    [Fact]
    public async Task A_capsules_MCP_server_off_the_allow_list_is_refused()
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["calculator"], mcp: "  mcp:\n    - name: elsewhere\n      url: http://127.0.0.1:9/mcp\n");

        using var response = await tenant.Client.PostAsJsonAsync("/v1/sessions", new { input = "hi", capsule = name }, GatewayApp.Json, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).Detail().ShouldContain("not on this deployment's allow-list");
    }

    /// <summary>Asks "What is 6*7?" in a session with a calculator capsule of these limits; answers the capsule's name and the ended session.</summary>
    private async Task<(string Name, JsonElement Session)> AskWithLimitsAsync(string limits)
    {
        using var tenant = await DefaultTenantAsync();
        var name = await PublishAndInstallAsync(tenant, ["calculator"], limits: limits);
        var id = await CreateAsync(tenant, new { input = "What is 6*7?", capsule = name });
        return (name, await apps.Gateway.WaitForEndAsync(id, Ct));
    }

    /// <summary>The default tenant (the bootstrap key), so the gateway app's own helpers can follow its sessions.</summary>
    private async Task<Tenant> DefaultTenantAsync()
    {
        var tenant = new Tenant("default", GatewayApp.BootstrapKey, apps.Gateway.CreateClient(), new TestPublisher());
        using var registered = await tenant.RegisterKeyAsync(tenant.Publisher.PublicPem);
        registered.StatusCode.ShouldBe(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync(Ct));
        return tenant;
    }

    private static async Task<string> PublishAndInstallAsync(Tenant tenant, string[] tools, string? name = null, string limits = "", string mcp = "")
    {
        name ??= "cap-" + Guid.NewGuid().ToString("N")[..12];
        var manifest = $"""
            name: {name}
            version: 1.0.0
            description: A capsule for the session tests.
            publisher: Acme Labs
            system_prompt: {Prompt}
            tools:
              builtin: [{string.Join(", ", tools)}]
            {mcp}{limits}
            """;
        await tenant.PublishNewAsync("1.0.0", name: name, manifest: manifest);
        using var installed = await tenant.InstallAsync(name);
        installed.StatusCode.ShouldBe(HttpStatusCode.Created, await installed.Content.ReadAsStringAsync(Ct));
        return name;
    }

    private static async Task<Guid> CreateAsync(Tenant tenant, object request)
    {
        using var response = await tenant.Client.PostAsJsonAsync("/v1/sessions", request, GatewayApp.Json, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
    }
}
