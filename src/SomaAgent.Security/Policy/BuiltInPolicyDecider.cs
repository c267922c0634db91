using System.Diagnostics;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime;

namespace SomaAgent.Security.Policy;

/// <summary>
/// Decides in process from the policy data (<see cref="PolicyOptions.DataPath"/>, else the shipped
/// <c>deploy/policies/data.json</c>), with the same semantics as <c>deploy/policies/authz.rego</c> under OPA.
/// The data is read once; it never fails to answer.
/// </summary>
public sealed class BuiltInPolicyDecider(IOptions<PolicyOptions> options) : IPolicyDecider
{
    private readonly Lazy<PolicyRuleSet> _rules = new(() =>
        options.Value.DataPath is { Length: > 0 } path ? PolicyRuleSet.LoadFile(path) : PolicyRuleSet.Shipped());

    public Task<PolicyDecision> DecideAsync(PolicyInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var started = Stopwatch.GetTimestamp();
        var decision = _rules.Value.Decide(input);
        RuntimeDiagnostics.PolicyDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
            new("decider", "builtin"), new("outcome", decision.Outcome == PolicyOutcome.Allow ? "allow" : "deny"));
        return Task.FromResult(decision);
    }
}
