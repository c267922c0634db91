using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Gateway.Security;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Tools;

/// <summary>
/// The tool executor asks the policy before each call: a refused call never runs, its result tells the model
/// why, the turn goes on, and the refusal is audited; an engine that cannot answer refuses the call unless
/// POLICY_FAIL_OPEN is on.
/// </summary>
public sealed class ToolPolicyTests
{
    private const string CalculatorOnlyTenant = "calculator-only-example";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_tool_the_policy_denies_returns_the_reason_to_the_model_and_the_answer_still_arrives()
    {
        await using var opa = await OpaFake.StartAsync(Ct);
        await using var app = PolicyTests.WithOpa(opa);
        var key = await PolicyTests.CreateNamedTenantAsync(app, CalculatorOnlyTenant);
        using var client = app.CreateClientWith(key);

        var denied = await RunSessionAsync(client, "remember my color is blue");
        var allowed = await RunSessionAsync(client, "What is 12*(3+4)?");

        denied.GetProperty("status").GetString().ShouldBe("completed");
        denied.GetProperty("output").GetString().ShouldNotBeNullOrWhiteSpace();
        var memory = ToolMessage(denied);
        memory.GetProperty("name").GetString().ShouldBe("memory");
        memory.GetProperty("content").GetString()!.ShouldContain("Denied by policy: This tenant may use the calculator only.");
        ToolMessage(allowed).GetProperty("content").GetString()!.ShouldNotContain("error");
        allowed.GetProperty("output").GetString()!.ShouldContain("84");
        opa.Inputs.ShouldContain(i => i.GetProperty("kind").GetString() == "tool" && i.GetProperty("tool").GetString() == "memory"
            && i.GetProperty("tenant").GetString() == CalculatorOnlyTenant && i.GetProperty("model").GetString() == "soma-simulated-1");
        var entry = await PolicyTests.WaitForAuditAsync(app, "policy_denied", e => e.GetProperty("route").GetString() == "tool:memory");
        entry.GetProperty("tenant").GetString().ShouldBe(CalculatorOnlyTenant);
        entry.GetProperty("reason").GetString().ShouldBe("This tenant may use the calculator only.");
    }

    [Fact]
    public async Task The_built_in_rules_deny_the_same_tool_without_OPA()
    {
        var audit = AuditPath();
        await using var host = await ToolHost.StartAsync(BuiltInToolsForTest(), new Dictionary<string, string?> { ["SomaAgent:Audit:Path"] = audit });

        var denied = await host.RunAsync("clock", tenant: CalculatorOnlyTenant);
        var allowed = await host.RunAsync("calculator", """{"expression": "6*7"}""", tenant: CalculatorOnlyTenant);

        denied.IsError.ShouldBeTrue();
        Error(denied).ShouldBe("Denied by policy: This tenant may use the calculator only.");
        allowed.IsError.ShouldBeFalse(allowed.ResultJson);
        allowed.ResultJson.ShouldContain("42");
    }

    [Fact]
    public async Task An_unreachable_OPA_refuses_tool_calls_by_default()
    {
        var audit = AuditPath();
        var opa = await OpaFake.StartAsync(Ct);
        await opa.DisposeAsync();
        var tool = ScriptedTool.Echo("echo");
        await using var host = await ToolHost.StartAsync([tool.Tool], new Dictionary<string, string?>
        {
            ["OPA_URL"] = opa.Url,
            ["SomaAgent:Audit:Path"] = audit,
        });

        var result = await host.RunAsync("echo", """{"x": "1"}""");

        result.IsError.ShouldBeTrue();
        Error(result).ShouldContain("policy engine could not decide");
        tool.Invocations.ShouldBe(0);
        var entry = await AuditFile.WaitForAsync(audit, e => e.Field("event") == "policy_unavailable", Ct);
        entry.Field("route").ShouldBe("tool:echo");
    }

    [Fact]
    public async Task An_unreachable_OPA_lets_tool_calls_run_with_fail_open_and_audits_them()
    {
        var audit = AuditPath();
        var opa = await OpaFake.StartAsync(Ct);
        await opa.DisposeAsync();
        var tool = ScriptedTool.Echo("echo");
        await using var host = await ToolHost.StartAsync([tool.Tool], new Dictionary<string, string?>
        {
            ["OPA_URL"] = opa.Url,
            ["POLICY_FAIL_OPEN"] = "true",
            ["SomaAgent:Audit:Path"] = audit,
        });

        var result = await host.RunAsync("echo", """{"x": "1"}""");

        result.IsError.ShouldBeFalse(result.ResultJson);
        tool.Invocations.ShouldBe(1);
        var entry = await AuditFile.WaitForAsync(audit, e => e.Field("event") == "policy_fail_open", Ct);
        entry.Field("decision").ShouldBe("allow");
        entry.Field("tenant").ShouldBe("tenant-a");
        entry.Field("route").ShouldBe("tool:echo");
    }

    private static async Task<JsonElement> RunSessionAsync(HttpClient client, string input)
    {
        using var created = await client.PostAsJsonAsync("/v1/sessions", new { input }, GatewayApp.Json, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("id").GetGuid();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var session = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", GatewayApp.Json, Ct);
            if (session.GetProperty("status").GetString() is "completed" or "failed" or "cancelled")
            {
                return session;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Session {id} did not end: {session}");
            }
            await Task.Delay(20, Ct);
        }
    }

    private static JsonElement ToolMessage(JsonElement session) =>
        session.GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("role").GetString() == "tool");

    private static string Error(SomaAgent.Runtime.Messaging.ToolCallCompleted result) =>
        JsonDocument.Parse(result.ResultJson).RootElement.GetProperty("error").GetString()!;

    private static IEnumerable<SomaAgent.Runtime.Tools.AgentTool> BuiltInToolsForTest() => SomaAgent.Runtime.Tools.BuiltIn.BuiltInTools.Create();

    private static string AuditPath() => Path.Combine(Directory.CreateTempSubdirectory("somaagent-tool-policy-").FullName, "audit.jsonl");
}
