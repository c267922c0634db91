using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SomaAgent.Runtime;

/// <summary>The runtime's one ActivitySource and one Meter (ServiceDefaults registers <c>SomaAgent.*</c>).</summary>
public static class RuntimeDiagnostics
{
    public const string Name = "SomaAgent.Runtime";

    public static ActivitySource ActivitySource { get; } = new(Name);

    public static Meter Meter { get; } = new(Name);

    public static Histogram<double> TurnDuration { get; } = Meter.CreateHistogram(
        "somaagent.turn.duration",
        unit: "s",
        description: "Time from a turn starting to run until it ends.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    public static Counter<long> TurnsEnded { get; } = Meter.CreateCounter<long>(
        "somaagent.turns.ended",
        description: "Turns that ended, by final status.");

    public static UpDownCounter<long> SessionsActive { get; } = Meter.CreateUpDownCounter<long>(
        "somaagent.sessions.active",
        description: "Sessions with a turn running now (summed over the workers running them).");

    public static Counter<long> EventsStored { get; } = Meter.CreateCounter<long>(
        "somaagent.events.stored",
        description: "Session events committed to the session store.");

    public static Counter<long> MessagesPublished { get; } = Meter.CreateCounter<long>(
        "somaagent.messages.published",
        description: "Messages published on the bus, by topic.");

    public static Counter<long> TurnsResumed { get; } = Meter.CreateCounter<long>(
        "somaagent.turns.resumed",
        description: "Turns a worker took over after the worker running them stopped.");

    public static Counter<long> TurnsRedispatched { get; } = Meter.CreateCounter<long>(
        "somaagent.turns.redispatched",
        description: "Turns dispatched again by the sweep: queued with no worker claiming them, or under an expired lease.");

    public static Counter<long> MessagesDeadLettered { get; } = Meter.CreateCounter<long>(
        "somaagent.messages.dead_lettered",
        description: "Bus messages parked in a dead-letter topic, by topic.");

    public static Histogram<double> PolicyDuration { get; } = Meter.CreateHistogram(
        "somaagent.policy.decision.duration",
        unit: "s",
        description: "Time to get one policy decision, by decider (opa, builtin) and outcome (allow, deny, unavailable).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });

    /// <summary><c>tool_execution_time_seconds</c>, the seed's name, as Prometheus shows it.</summary>
    public static Histogram<double> ToolDuration { get; } = Meter.CreateHistogram(
        "tool.execution_time",
        unit: "s",
        description: "Time a tool took to run, by tool and outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] });

    public static Counter<long> ToolCallsFailed { get; } = Meter.CreateCounter<long>(
        "somaagent.tool.calls.failed",
        description: "Tool calls a turn got an error result for, by tool and reason: timeout (no result within the tool result timeout), unavailable (not offered to the session) or error (the tool answered with an error).");

    public static Counter<long> ToolCacheLookups { get; } = Meter.CreateCounter<long>(
        "somaagent.tool.cache.lookups",
        description: "Calls of cacheable tools, by tool and result: hit (served from the cache) or miss (the tool ran).");
}
