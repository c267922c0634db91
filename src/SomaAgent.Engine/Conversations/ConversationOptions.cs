using System.ComponentModel.DataAnnotations;

namespace SomaAgent.Engine.Conversations;

/// <summary>Limits of the agent loop (section <c>SomaAgent:Conversations</c>).</summary>
public sealed class ConversationOptions
{
    public const string SectionName = "SomaAgent:Conversations";

    /// <summary>Model calls one turn may make (each tool round trip is one more). Default 8.</summary>
    [Range(1, 64)]
    public int MaxStepsPerTurn { get; set; } = 8;

    /// <summary>How long a turn waits for a tool result before it treats the call as failed. Default 60 s.</summary>
    [Range(1, 3600)]
    public int ToolResultTimeoutSeconds { get; set; } = 60;

    /// <summary>Turns one worker runs at once; more wait in the queue. Default 256.</summary>
    [Range(1, 100_000)]
    public int MaxConcurrentTurns { get; set; } = 256;

    /// <summary>
    /// How long a worker's claim on a running turn lasts without renewal (renewed every third of it). When a
    /// worker dies, another takes its turns over this long after its last renewal. Default 15 s.
    /// </summary>
    [Range(1, 3600)]
    public int LeaseSeconds { get; set; } = 15;

    /// <summary>Workers one turn may be started on (takeovers included) before it ends failed. Default 3.</summary>
    [Range(1, 100)]
    public int MaxTurnAttempts { get; set; } = 3;

    /// <summary>How often each worker looks for turns nobody runs: expired leases, undelivered dispatches. Default 5 s.</summary>
    [Range(1, 3600)]
    public int SweepIntervalSeconds { get; set; } = 5;

    /// <summary>A turn queued longer than this without a worker claiming it is dispatched again. Default 10 s.</summary>
    [Range(1, 3600)]
    public int RedispatchAfterSeconds { get; set; } = 10;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);
}
