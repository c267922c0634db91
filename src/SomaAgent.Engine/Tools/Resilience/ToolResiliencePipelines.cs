using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Telemetry;
using Polly.Timeout;
using SomaAgent.Runtime;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Engine.Tools.Resilience;

/// <summary>What a tool's pipeline is built from; a tool whose settings change gets a fresh pipeline.</summary>
public readonly record struct ToolPipelineKey(string ToolName, TimeSpan Timeout, bool Retryable);

/// <summary>
/// One Polly pipeline per tool, built on first use (tools may arrive at run time, e.g. from MCP servers).
/// Outermost first, the shape of the standard HTTP resilience handler: the call's total budget, retries with
/// exponential back-off and jitter (retryable tools only), the tool's circuit breaker, and the tool's own
/// timeout on each attempt. Polly's telemetry names the pipeline <c>somaagent-tool</c>, instance = tool name.
/// </summary>
public sealed class ToolResiliencePipelines : IDisposable
{
    public const string PipelineName = "somaagent-tool";
    public const string CircuitStateMetric = "somaagent.tool.circuit.state";

    private readonly ResiliencePipelineRegistry<ToolPipelineKey> registry;
    private readonly IOptions<ToolResilienceOptions> options;
    private readonly TelemetryOptions _telemetry;
    private readonly ConcurrentDictionary<string, CircuitBreakerStateProvider> _circuits = new(StringComparer.Ordinal);

    // The breakers' states as one gauge per process over the live pipelines, like the other SomaAgent instruments:
    // OpenTelemetry merges instruments of one name, and a second host's gauge (a test's) going away would end the first's.
    private static readonly ConcurrentDictionary<ToolResiliencePipelines, byte> Live = new();

    private static readonly ObservableGauge<int> CircuitStates = RuntimeDiagnostics.Meter.CreateObservableGauge(
        CircuitStateMetric,
        () => Live.Keys.SelectMany(pipelines => pipelines.ObserveCircuits()),
        description: "State of each tool's circuit breaker: 0 closed, 1 open, 2 half-open, 3 isolated.");

    public ToolResiliencePipelines(
        ResiliencePipelineRegistry<ToolPipelineKey> registry,
        IOptions<ToolResilienceOptions> options,
        IOptions<TelemetryOptions> telemetry)
    {
        ArgumentNullException.ThrowIfNull(telemetry);
        this.registry = registry;
        this.options = options;
        _telemetry = QuietResilienceTelemetry.From(telemetry.Value);
        _ = CircuitStates;
        Live[this] = 0;
    }

    /// <summary>Stops reporting this host's breakers (the host is going away).</summary>
    public void Dispose() => Live.TryRemove(this, out _);

    /// <summary>The state of the tool's circuit breaker; closed for a tool not called yet.</summary>
    public CircuitState CircuitOf(string toolName) =>
        _circuits.TryGetValue(toolName, out var circuit) ? circuit.CircuitState : CircuitState.Closed;

    private IEnumerable<Measurement<int>> ObserveCircuits() =>
        _circuits.Select(c => new Measurement<int>((int)c.Value.CircuitState, new KeyValuePair<string, object?>("tool", c.Key)));

    public ResiliencePipeline For(AgentTool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var key = new ToolPipelineKey(tool.Name, tool.Timeout, tool.Retryable);
        // TryGet first: the configure callback below would cost a closure on every call.
        return registry.TryGetPipeline(key, out var pipeline)
            ? pipeline
            : registry.GetOrAddPipeline(key, (builder, _) => Configure(builder, key, options.Value, _telemetry));
    }

    private void Configure(ResiliencePipelineBuilder builder, ToolPipelineKey key, ToolResilienceOptions options, TelemetryOptions telemetry)
    {
        builder.ConfigureTelemetry(telemetry);
        builder.AddTimeout(new TimeoutStrategyOptions
        {
            Name = "total",
            Timeout = TimeSpan.FromSeconds(options.TotalTimeoutSeconds),
        });

        if (key.Retryable && options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = static args => Transient(args.Outcome, args.Context),
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = TimeSpan.FromMilliseconds(options.RetryDelayMs),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }

        var breaker = options.CircuitBreaker;
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = static args => Transient(args.Outcome, args.Context),
            FailureRatio = breaker.FailureRatio,
            MinimumThroughput = breaker.MinimumThroughput,
            SamplingDuration = TimeSpan.FromSeconds(breaker.SamplingDurationSeconds),
            BreakDuration = TimeSpan.FromSeconds(breaker.BreakDurationSeconds),
            StateProvider = _circuits[key.ToolName] = new CircuitBreakerStateProvider(),
        });

        builder.AddTimeout(new TimeoutStrategyOptions
        {
            Name = "attempt",
            Timeout = key.Timeout,
        });
    }

    /// <summary>Retries and the breaker handle the same failures: the transient ones.</summary>
    private static ValueTask<bool> Transient(Outcome<object> outcome, ResilienceContext context) =>
        ValueTask.FromResult(ToolFailures.IsTransient(outcome.Exception, context.CancellationToken));
}
