using SomaAgent.Engine.Tools;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Tests.Runtime.Tools;

namespace SomaAgent.Tests.Telemetry;

/// <summary>
/// The induced failure of the live alert tests: a tool that always fails, breaker settings that open its circuit
/// after four calls (and keep it open past the test), and the calls that open it.
/// </summary>
internal sealed class BrokenTool
{
    public ScriptedTool Scripted { get; } =
        new("always-down-" + Guid.NewGuid().ToString("N")[..8], (_, _, _) => throw new IOException("connection refused"), retryable: false);

    public string Name => Scripted.Name;

    /// <summary>Settings of the host that runs the tool.</summary>
    public static IReadOnlyDictionary<string, string?> BreakerSettings { get; } = new Dictionary<string, string?>
    {
        ["SomaAgent:Tools:Resilience:RetryDelayMs"] = "0",
        ["SomaAgent:Tools:Resilience:CircuitBreaker:MinimumThroughput"] = "4",
        ["SomaAgent:Tools:Resilience:CircuitBreaker:FailureRatio"] = "0.5",
        ["SomaAgent:Tools:Resilience:CircuitBreaker:BreakDurationSeconds"] = "120",
    };

    /// <summary>Runs the tool through <paramref name="executor"/> until its breaker opens.</summary>
    public async Task OpenCircuitAsync(ToolExecutor executor, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 5; i++)
        {
            await executor.ExecuteAsync(new ToolCallRequested
            {
                SessionId = Guid.NewGuid(),
                TenantId = "default",
                CallId = $"call_{Guid.NewGuid():N}",
                ToolName = Name,
                ArgumentsJson = "{}",
            }, cancellationToken);
        }
    }
}
