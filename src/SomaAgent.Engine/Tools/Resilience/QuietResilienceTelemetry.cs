using Polly.Telemetry;

namespace SomaAgent.Engine.Tools.Resilience;

/// <summary>
/// Polly telemetry for pipelines on the hot path (every tool call, every cache read): the service's own
/// telemetry (logger, metering enrichers) with two changes. Results are never written to logs (tool results
/// are model-facing payloads), and the per-execution events Polly reports at Information become Debug.
/// Retries, timeouts and circuit-breaker changes keep their levels.
/// </summary>
internal static class QuietResilienceTelemetry
{
    public static TelemetryOptions From(TelemetryOptions shared) => new(shared)
    {
        ResultFormatter = static (_, result) => result is null ? null : "(result not logged)",
        SeverityProvider = static args =>
            args.Event.Severity == ResilienceEventSeverity.Information && args.Event.EventName is "ExecutionAttempt" or "PipelineExecuted"
                ? ResilienceEventSeverity.Debug
                : args.Event.Severity,
    };
}
