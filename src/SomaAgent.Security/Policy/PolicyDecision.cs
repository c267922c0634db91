namespace SomaAgent.Security.Policy;

/// <summary>How a decision came out.</summary>
public enum PolicyOutcome
{
    /// <summary>The policy allows it.</summary>
    Allow,

    /// <summary>The policy refuses it; <see cref="PolicyDecision.Reason"/> says why.</summary>
    Deny,

    /// <summary>The policy engine gave no usable answer (unreachable, timed out, failed or answered garbage).</summary>
    Unavailable,
}

/// <summary>A policy's answer and its reason (for <see cref="PolicyOutcome.Unavailable"/>: what went wrong).</summary>
public sealed record PolicyDecision(PolicyOutcome Outcome, string Reason)
{
    public static PolicyDecision Allow(string reason) => new(PolicyOutcome.Allow, reason);

    public static PolicyDecision Deny(string reason) => new(PolicyOutcome.Deny, reason);

    public static PolicyDecision Unavailable(string reason) => new(PolicyOutcome.Unavailable, reason);
}

/// <summary>Decides whether a request or a tool call may go ahead.</summary>
public interface IPolicyDecider
{
    /// <summary>Never throws for an engine failure: that comes back as <see cref="PolicyOutcome.Unavailable"/>.</summary>
    Task<PolicyDecision> DecideAsync(PolicyInput input, CancellationToken cancellationToken);
}
