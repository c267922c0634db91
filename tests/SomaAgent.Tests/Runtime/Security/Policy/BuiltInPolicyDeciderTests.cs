using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SomaAgent.Security;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Policy;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Security.Policy;

/// <summary>
/// The built-in evaluator: every rule of the shipped deploy/policies/data.json exercised one by one (table below,
/// with a check that no rule is left out), the matching semantics authz.rego shares with it, and the loader's
/// refusals.
/// </summary>
public sealed class BuiltInPolicyDeciderTests
{
    private const int Fallback = -1;
    private static readonly PolicyRuleSet Shipped = PolicyRuleSet.Shipped();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PolicyInput Request(string method, string route, string tenant = "t-1", string subject = "key-1", params string[] scopes) =>
        new() { Kind = PolicyKinds.Request, Method = method, Route = route, Tenant = tenant, Subject = subject, Scopes = scopes };

    private static PolicyInput Tool(string tool, string tenant = "t-1", string? capsule = null, string? model = "soma-simulated-1") =>
        new() { Kind = PolicyKinds.Tool, Tool = tool, Tenant = tenant, Capsule = capsule, Model = model, Session = Guid.NewGuid().ToString() };

    /// <summary>Name → (input, index of the rule that must decide or <see cref="Fallback"/>, allowed, reason).</summary>
    private static readonly Dictionary<string, (PolicyInput Input, int Rule, bool Allow, string Reason)> Cases = new()
    {
        ["suspended tenant, request"] = (Request("GET", "/v1/sessions", "suspended-example", "key-1", ApiKeyScopes.TenantAdmin), 0, false, "The tenant is suspended; ask the platform operator."),
        ["suspended tenant, tool call"] = (Tool("calculator", "suspended-example"), 0, false, "The tenant is suspended; ask the platform operator."),
        ["platform admin lists tenants"] = (Request("GET", "/v1/tenants", "default", "key-1", ApiKeyScopes.PlatformAdmin), 1, true, "A platform admin manages tenants."),
        ["platform admin, tenant sub-route"] = (Request("DELETE", "/v1/tenants/{id}", "default", "key-1", ApiKeyScopes.SessionsRead, ApiKeyScopes.PlatformAdmin), 1, true, "A platform admin manages tenants."),
        ["tenant admin creates a tenant"] = (Request("POST", "/v1/tenants", "t-1", "key-1", ApiKeyScopes.TenantAdmin), 2, false, "Only a platform admin may manage tenants."),
        ["no scope on a tenant sub-route"] = (Request("GET", "/v1/tenants/{id}/keys"), 2, false, "Only a platform admin may manage tenants."),
        ["reader opens a session"] = (Request("GET", "/v1/sessions/{id}", "t-1", "key-1", ApiKeyScopes.SessionsRead), 3, true, "An API route open to every authenticated caller."),
        ["anonymous chat completion"] = (Request("POST", "/v1/chat/completions", "default", "anonymous", [.. ApiKeyScopes.All]), 3, true, "An API route open to every authenticated caller."),
        ["calculator-only tenant, calculator"] = (Tool("calculator", "calculator-only-example"), 4, true, "The tool is on the tenant's list."),
        ["calculator-only tenant, memory"] = (Tool("memory", "calculator-only-example"), 5, false, "This tenant may use the calculator only."),
        ["calculator-only tenant, capsule does not matter"] = (Tool("clock", "calculator-only-example", "stateless-example"), 5, false, "This tenant may use the calculator only."),
        ["stateless capsule, memory"] = (Tool("memory", "t-1", "stateless-example"), 6, false, "The capsule may not use session memory."),
        ["stateless capsule, calculator"] = (Tool("calculator", "t-1", "stateless-example"), 7, true, "Tools are allowed unless a rule above says otherwise."),
        ["memory without a capsule"] = (Tool("memory", "t-1", capsule: null), 7, true, "Tools are allowed unless a rule above says otherwise."),
        ["route outside /v1"] = (Request("GET", "/metrics"), Fallback, false, "No policy rule allows this."),
        ["unknown kind"] = (new PolicyInput { Kind = "webhook", Tenant = "t-1" }, Fallback, false, "No policy rule allows this."),
    };

    public static TheoryData<string> CaseNames => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Each_shipped_rule_decides_what_it_says(string name)
    {
        var (input, rule, allow, reason) = Cases[name];
        var decider = new BuiltInPolicyDecider(Options.Create(new PolicyOptions()));

        var decision = await decider.DecideAsync(input, Ct);

        Shipped.Rules.ToList().FindIndex(r => r.Matches(input)).ShouldBe(rule, "the first matching rule");
        decision.Outcome.ShouldBe(allow ? PolicyOutcome.Allow : PolicyOutcome.Deny);
        decision.Reason.ShouldBe(reason);
    }

    [Fact]
    public void The_table_covers_every_shipped_rule_and_the_fallback()
    {
        var covered = Cases.Values.Select(c => c.Rule).ToHashSet();

        covered.ShouldBe([.. Enumerable.Range(0, Shipped.Rules.Count), Fallback], ignoreOrder: true);
    }

    [Fact]
    public void The_shipped_data_is_the_file_the_OPA_container_loads()
    {
        var file = RepoPaths.PolicyData;

        var fromFile = PolicyRuleSet.LoadFile(file);

        fromFile.Rules.Count.ShouldBe(Shipped.Rules.Count);
        fromFile.Rules.Select(r => r.Reason).ShouldBe(Shipped.Rules.Select(r => r.Reason));
    }

    [Fact]
    public void The_first_matching_rule_decides_and_later_rules_are_not_consulted()
    {
        var rules = Load("""
            {"rules": [
              {"tenants": ["a"], "effect": "deny", "reason": "first"},
              {"tenants": ["a"], "effect": "allow", "reason": "second"}
            ], "fallback": {"effect": "allow", "reason": "fallback"}}
            """);

        rules.Decide(Tool("x", "a")).ShouldBe(PolicyDecision.Deny("first"));
        rules.Decide(Tool("x", "b")).ShouldBe(PolicyDecision.Allow("fallback"));
    }

    [Fact]
    public void A_missing_or_empty_list_matches_anything_and_a_null_value_never_matches_a_list()
    {
        var rules = Load("""
            {"rules": [
              {"capsules": ["c"], "effect": "deny", "reason": "capsule c"},
              {"tools": [], "models": ["m"], "effect": "deny", "reason": "model m"},
              {"effect": "allow", "reason": "anything else"}
            ], "fallback": {"effect": "deny", "reason": "unreachable"}}
            """);

        rules.Decide(Tool("x", capsule: "c")).Reason.ShouldBe("capsule c");
        rules.Decide(Tool("x", capsule: null, model: "m")).Reason.ShouldBe("model m");
        rules.Decide(Tool("x", capsule: null, model: null)).Reason.ShouldBe("anything else");
    }

    [Fact]
    public void Routes_match_exactly_or_by_prefix_when_the_pattern_ends_in_a_star()
    {
        var rules = Load("""
            {"rules": [
              {"routes": ["/v1/sessions"], "methods": ["POST"], "effect": "deny", "reason": "exact"},
              {"routes": ["/v1/keys*"], "effect": "deny", "reason": "prefix"}
            ], "fallback": {"effect": "allow", "reason": "other"}}
            """);

        rules.Decide(Request("POST", "/v1/sessions")).Reason.ShouldBe("exact");
        rules.Decide(Request("GET", "/v1/sessions")).Reason.ShouldBe("other", "the method is listed too");
        rules.Decide(Request("POST", "/v1/sessions/{id}/messages")).Reason.ShouldBe("other", "no star: exact only");
        rules.Decide(Request("DELETE", "/v1/keys/{id}")).Reason.ShouldBe("prefix");
        rules.Decide(Request("GET", "/v1/keys")).Reason.ShouldBe("prefix");
        rules.Decide(Tool("keys")).Reason.ShouldBe("other", "a tool call has no route");
    }

    [Fact]
    public void Scopes_match_when_the_caller_holds_any_one_of_them()
    {
        var rules = Load("""
            {"rules": [{"scopes": ["a", "b"], "effect": "allow", "reason": "scoped"}],
             "fallback": {"effect": "deny", "reason": "unscoped"}}
            """);

        rules.Decide(Request("GET", "/v1/x", scopes: ["c", "b"])).Reason.ShouldBe("scoped");
        rules.Decide(Request("GET", "/v1/x", scopes: ["c"])).Reason.ShouldBe("unscoped");
        rules.Decide(Request("GET", "/v1/x")).Reason.ShouldBe("unscoped");
    }

    [Theory]
    [InlineData("""{"rules": [{"tenant": ["a"], "effect": "deny", "reason": "typo"}], "fallback": {"effect": "deny", "reason": "x"}}""", "'tenant' is unknown")]
    [InlineData("""{"rules": [{"effect": "deny"}], "fallback": {"effect": "deny", "reason": "x"}}""", "no 'reason'")]
    [InlineData("""{"rules": [{"effect": "maybe", "reason": "r"}], "fallback": {"effect": "deny", "reason": "x"}}""", "'effect' is unknown or malformed")]
    [InlineData("""{"rules": [{"tools": "calculator", "effect": "deny", "reason": "r"}], "fallback": {"effect": "deny", "reason": "x"}}""", "'tools' is unknown or malformed")]
    [InlineData("""{"rules": []}""", "no 'fallback'")]
    [InlineData("""{"rules": [], "fallback": {"tenants": ["a"], "effect": "deny", "reason": "x"}}""", "fallback: the field 'tenants'")]
    [InlineData("""not json""", "not valid JSON")]
    public void Malformed_policy_data_is_refused_with_the_place_and_the_fix(string json, string expected)
    {
        var error = Should.Throw<FormatException>(() => Load(json));

        error.Message.ShouldContain(expected);
    }

    [Fact]
    public async Task The_data_path_setting_replaces_the_shipped_rules()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("somaagent-policy-").FullName, "data.json");
        await File.WriteAllTextAsync(file, """{"rules": [], "fallback": {"effect": "deny", "reason": "closed for maintenance"}}""", Ct);
        var decider = new BuiltInPolicyDecider(Options.Create(new PolicyOptions { DataPath = file }));

        var decision = await decider.DecideAsync(Request("GET", "/v1/sessions"), Ct);

        decision.ShouldBe(PolicyDecision.Deny("closed for maintenance"));
    }

    [Theory]
    [InlineData("""{"result": {"allow": true, "reason": "ok"}}""", PolicyOutcome.Allow, "ok")]
    [InlineData("""{"result": {"allow": false, "reason": "no"}}""", PolicyOutcome.Deny, "no")]
    [InlineData("""{"result": {"allow": false}}""", PolicyOutcome.Deny, "denied by policy")]
    [InlineData("""{}""", PolicyOutcome.Deny, "policy undefined")]
    [InlineData("""{"result": {"allow": "yes"}}""", PolicyOutcome.Unavailable, "no boolean result.allow")]
    [InlineData("""{"result": true}""", PolicyOutcome.Unavailable, "no boolean result.allow")]
    [InlineData("""[1]""", PolicyOutcome.Unavailable, "not a decision")]
    public void OPA_answers_are_read_as_decisions(string answer, PolicyOutcome outcome, string reason)
    {
        using var document = JsonDocument.Parse(answer);

        var decision = OpaPolicyDecider.Read(document.RootElement);

        decision.Outcome.ShouldBe(outcome);
        decision.Reason.ShouldContain(reason);
    }

    private static PolicyRuleSet Load(string json) => PolicyRuleSet.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "test data");
}
