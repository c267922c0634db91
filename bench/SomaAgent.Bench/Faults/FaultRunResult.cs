namespace SomaAgent.Bench.Faults;

/// <summary>What a fault run wrote: the load, the faults injected, and what the checker found in every session.</summary>
internal sealed record FaultRunResult
{
    public required string Date { get; init; }
    public required string Command { get; init; }
    public required string Machine { get; init; }
    public required int Users { get; init; }
    public required int Workers { get; init; }
    public required int Partitions { get; init; }
    public required string Model { get; init; }
    public required string Postgres { get; init; }
    public required double LoadSeconds { get; init; }
    public required IReadOnlyList<InjectedFault> FaultsInjected { get; init; }
    /// <summary>Turns the clients saw complete, and their errors by kind (expected while servers are down).</summary>
    public required int ClientTurnsCompleted { get; init; }
    public required IReadOnlyList<ErrorCount> ClientErrors { get; init; }
    public required double DrainSeconds { get; init; }
    public required int Sessions { get; init; }
    public required int Turns { get; init; }
    public required int TurnsCompleted { get; init; }
    public required int TurnsCancelled { get; init; }
    public required int FailedWithReason { get; init; }
    public required IReadOnlyList<ReasonCount> FailureReasons { get; init; }
    public required int Events { get; init; }
    public required int UserMessages { get; init; }
    public required int UserMessagesAccepted { get; init; }
    public required int UserMessagesUnanswered { get; init; }
    /// <summary>Kafka partitions whose oldest message the mock dropped (its retention): must be none, or the backlog was at risk.</summary>
    public required IReadOnlyList<string> TruncatedPartitions { get; init; }
    public required int Lost { get; init; }
    public required int Duplicated { get; init; }
    public required IReadOnlyList<string> Problems { get; init; }

    public bool Passed => Lost == 0 && Duplicated == 0 && Sessions > 0 && TruncatedPartitions.Count == 0 && FaultsInjected.Count == 4;
}

/// <summary>A fault, when it struck (seconds into the load), and what exactly was done.</summary>
internal sealed record InjectedFault(string Fault, double AtSeconds, string Detail);

internal sealed record ReasonCount(string Reason, int Count);
