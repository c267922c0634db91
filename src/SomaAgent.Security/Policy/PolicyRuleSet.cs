using System.Text.Json;

namespace SomaAgent.Security.Policy;

/// <summary>
/// One rule of the policy data. Each list a rule gives narrows what it matches; a list it leaves out (or gives
/// as <c>[]</c>) matches anything. The first rule that matches an input decides it.
/// </summary>
public sealed record PolicyRule
{
    public IReadOnlyList<string> Kinds { get; init; } = [];
    public IReadOnlyList<string> Tenants { get; init; } = [];
    public IReadOnlyList<string> Subjects { get; init; } = [];
    public IReadOnlyList<string> Methods { get; init; } = [];
    public IReadOnlyList<string> Tools { get; init; } = [];
    public IReadOnlyList<string> Capsules { get; init; } = [];
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Route templates: exact, or a prefix when the pattern ends in <c>*</c>.</summary>
    public IReadOnlyList<string> Routes { get; init; } = [];

    /// <summary>Matches when the caller holds any one of these.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>Whether a match allows (else denies).</summary>
    public required bool Allow { get; init; }

    public required string Reason { get; init; }

    /// <summary>Whether every list of the rule matches <paramref name="input"/> (the Rego program's <c>matches</c>).</summary>
    public bool Matches(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Listed(Kinds, input.Kind)
            && Listed(Tenants, input.Tenant)
            && Listed(Subjects, input.Subject)
            && Listed(Methods, input.Method)
            && Listed(Tools, input.Tool)
            && Listed(Capsules, input.Capsule)
            && Listed(Models, input.Model)
            && Routed(input.Route)
            && Scoped(input.Scopes);
    }

    private static bool Listed(IReadOnlyList<string> list, string? value) =>
        list.Count == 0 || (value is not null && list.Contains(value, StringComparer.Ordinal));

    private bool Routed(string? route) =>
        Routes.Count == 0
        || (route is not null && Routes.Any(pattern => pattern == route
            || (pattern.EndsWith('*') && route.StartsWith(pattern[..^1], StringComparison.Ordinal))));

    private bool Scoped(IReadOnlyList<string> held) =>
        Scopes.Count == 0 || held.Any(scope => Scopes.Contains(scope, StringComparer.Ordinal));
}

/// <summary>
/// The policy data (<c>deploy/policies/data.json</c>): ordered <c>rules</c> and a <c>fallback</c> decision.
/// <see cref="Decide"/> is the C# twin of <c>deploy/policies/authz.rego</c>. Loading is stricter than OPA:
/// an unknown field (a typo such as <c>tenant</c> for <c>tenants</c> would silently widen a rule under OPA),
/// a missing effect or reason, or a value of the wrong type is refused with the rule's position.
/// </summary>
public sealed class PolicyRuleSet
{
    /// <summary>Name of the embedded copy of <c>deploy/policies/data.json</c>.</summary>
    public const string ShippedResourceName = "SomaAgent.Security.Policy.data.json";

    private static readonly HashSet<string> ListFields =
        ["kinds", "tenants", "subjects", "methods", "tools", "capsules", "models", "routes", "scopes"];

    private PolicyRuleSet(IReadOnlyList<PolicyRule> rules, PolicyRule fallback)
    {
        Rules = rules;
        Fallback = fallback;
    }

    public IReadOnlyList<PolicyRule> Rules { get; }

    /// <summary>What decides when no rule matches.</summary>
    public PolicyRule Fallback { get; }

    /// <summary>The first matching rule's decision, else the fallback's.</summary>
    public PolicyDecision Decide(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var rule = Rules.FirstOrDefault(r => r.Matches(input)) ?? Fallback;
        return rule.Allow ? PolicyDecision.Allow(rule.Reason) : PolicyDecision.Deny(rule.Reason);
    }

    /// <summary>The data.json this build ships (embedded from <c>deploy/policies/data.json</c>).</summary>
    public static PolicyRuleSet Shipped()
    {
        using var stream = typeof(PolicyRuleSet).Assembly.GetManifestResourceStream(ShippedResourceName)
            ?? throw new InvalidOperationException($"The embedded policy data '{ShippedResourceName}' is missing from this build.");
        return Load(stream, "the shipped deploy/policies/data.json");
    }

    /// <summary>Reads policy data from a file.</summary>
    public static PolicyRuleSet LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Reads policy data; <see cref="FormatException"/> names the source and the faulty rule.</summary>
    public static PolicyRuleSet Load(Stream json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The policy data in {source} is not valid JSON: {ex.Message}", ex);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"The policy data in {source} must be a JSON object with 'rules' and 'fallback'.");
            }
            var rules = new List<PolicyRule>();
            PolicyRule? fallback = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "rules" when property.Value.ValueKind == JsonValueKind.Array:
                        var index = 0;
                        foreach (var rule in property.Value.EnumerateArray())
                        {
                            rules.Add(ReadRule(rule, $"{source}, rules[{index++}]", lists: true));
                        }
                        break;
                    case "fallback":
                        fallback = ReadRule(property.Value, $"{source}, fallback", lists: false);
                        break;
                    default:
                        throw new FormatException($"The policy data in {source} has an unknown or malformed field '{property.Name}'; "
                            + "it holds only 'rules' (an array) and 'fallback' (an object with 'effect' and 'reason').");
                }
            }
            return new PolicyRuleSet(rules, fallback
                ?? throw new FormatException($"The policy data in {source} has no 'fallback'; add {{\"effect\": \"deny\", \"reason\": \"…\"}}."));
        }
    }

    private static PolicyRule ReadRule(JsonElement element, string where, bool lists)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{where} must be a JSON object.");
        }
        var values = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        bool? allow = null;
        string? reason = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "description" when property.Value.ValueKind == JsonValueKind.String:
                    break;
                case "effect" when property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is "allow" or "deny":
                    allow = property.Value.GetString() == "allow";
                    break;
                case "reason" when property.Value.ValueKind == JsonValueKind.String && property.Value.GetString()!.Length > 0:
                    reason = property.Value.GetString();
                    break;
                case var name when lists && ListFields.Contains(name) && property.Value.ValueKind == JsonValueKind.Array
                    && property.Value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String):
                    values[name] = [.. property.Value.EnumerateArray().Select(v => v.GetString()!)];
                    break;
                default:
                    throw new FormatException($"{where}: the field '{property.Name}' is unknown or malformed. A rule has 'effect' "
                        + "(\"allow\" or \"deny\"), 'reason' (text), an optional 'description'"
                        + (lists ? $" and optional lists of strings: {string.Join(", ", ListFields)}." : "; the fallback has no lists."));
            }
        }
        return new PolicyRule
        {
            Kinds = values.GetValueOrDefault("kinds", []),
            Tenants = values.GetValueOrDefault("tenants", []),
            Subjects = values.GetValueOrDefault("subjects", []),
            Methods = values.GetValueOrDefault("methods", []),
            Tools = values.GetValueOrDefault("tools", []),
            Capsules = values.GetValueOrDefault("capsules", []),
            Models = values.GetValueOrDefault("models", []),
            Routes = values.GetValueOrDefault("routes", []),
            Scopes = values.GetValueOrDefault("scopes", []),
            Allow = allow ?? throw new FormatException($"{where} has no 'effect'; give \"allow\" or \"deny\"."),
            Reason = reason ?? throw new FormatException($"{where} has no 'reason'; give the text callers and the audit log see."),
        };
    }
}
