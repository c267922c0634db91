using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Telemetry;
using Polly.Timeout;

namespace SomaAgent.Runtime.Tools.Resilience;

/// <summary>What a tool's pipeline is built from; a tool whose settings change gets a fresh pipeline.</summary>
public readonly record struct ToolPipelineKey(string ToolName, TimeSpan Timeout, bool Retryable);

/// <summary>
/// One Polly pipeline per tool, built on first use (tools may arrive at run time, e.g. from MCP servers).
/// Outermost first, the shape of the standard HTTP resilience handler: the call's total budget, retries with
/// exponential back-off and jitter (retryable tools only), the tool's circuit breaker, and the tool's own
/// timeout on each attempt. Polly's telemetry names the pipeline <c>somaagent-tool</c>, instance = tool name.
/// </summary>
public sealed class ToolResiliencePipelines(
    ResiliencePipelineRegistry<ToolPipelineKey> registry,
    IOptions<ToolResilienceOptions> options,
    IOptions<TelemetryOptions> telemetry)
{
    public const string PipelineName = "somaagent-tool";

    private readonly TelemetryOptions _telemetry = QuietResilienceTelemetry.From(telemetry.Value);

    public ResiliencePipeline For(AgentTool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var key = new ToolPipelineKey(tool.Name, tool.Timeout, tool.Retryable);
        // TryGet first: the configure callback below would cost a closure on every call.
        return registry.TryGetPipeline(key, out var pipeline)
            ? pipeline
            : registry.GetOrAddPipeline(key, (builder, _) => Configure(builder, key, options.Value, _telemetry));
    }

    private static void Configure(ResiliencePipelineBuilder builder, ToolPipelineKey key, ToolResilienceOptions options, TelemetryOptions telemetry)
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
