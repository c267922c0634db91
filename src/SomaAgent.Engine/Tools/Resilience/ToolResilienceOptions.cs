using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace SomaAgent.Engine.Tools.Resilience;

/// <summary>
/// How the tool executor survives failing tools (section <c>SomaAgent:Tools:Resilience</c>): a budget for the
/// whole call, retries with exponential back-off and jitter for tools that may repeat, and one circuit breaker
/// per tool. Each attempt is bounded by the tool's own timeout.
/// </summary>
public sealed class ToolResilienceOptions
{
    public const string SectionName = "SomaAgent:Tools:Resilience";

    /// <summary>
    /// Budget of one call, every attempt and back-off included. Default 30 s. Must stay below
    /// <c>SomaAgent:Conversations:ToolResultTimeoutSeconds</c>, or the turn stops waiting before the executor gives up.
    /// </summary>
    [Range(1, 3600)]
    public int TotalTimeoutSeconds { get; set; } = 30;

    /// <summary>Further attempts after a transient failure of a retryable tool. Default 2; 0 turns retries off.</summary>
    [Range(0, 10)]
    public int MaxRetryAttempts { get; set; } = 2;

    /// <summary>Back-off before the first retry, doubled for each further one, with jitter. Default 200 ms.</summary>
    [Range(0, 60_000)]
    public int RetryDelayMs { get; set; } = 200;

    /// <summary>When a tool's circuit opens, and for how long.</summary>
    [ValidateObjectMembers]
    public ToolCircuitBreakerOptions CircuitBreaker { get; set; } = new();
}

/// <summary>
/// One breaker per tool: it opens when at least <see cref="MinimumThroughput"/> calls in the sampling window
/// fail at <see cref="FailureRatio"/> or more; while open, calls of that tool fail at once with a clear error.
/// </summary>
public sealed class ToolCircuitBreakerOptions
{
    /// <summary>Share of failed calls that opens the circuit. Default 0.5.</summary>
    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Calls in the window before the ratio counts. Default 10.</summary>
    [Range(2, 100_000)]
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>The window the ratio is measured over. Default 30 s.</summary>
    [Range(1, 3600)]
    public int SamplingDurationSeconds { get; set; } = 30;

    /// <summary>How long the circuit stays open before one trial call may pass. Default 15 s.</summary>
    [Range(1, 3600)]
    public int BreakDurationSeconds { get; set; } = 15;
}
