namespace SomaAgent.AppHost.Deployment;

/// <summary>
/// Marks the Kafka container: deployed, it becomes a KRaft cluster of <see cref="Brokers"/> nodes (each broker and
/// controller), and the <see cref="Topics"/> are created on it with <see cref="Partitions"/> partitions and
/// <see cref="ReplicationFactor"/> copies, which the brokers must be able to hold.
/// </summary>
public sealed record KafkaClusterAnnotation(int Brokers, IReadOnlyList<string> Topics, int Partitions, int ReplicationFactor) : IResourceAnnotation
{
    public int ReplicationFactor { get; } = ReplicationFactor <= Brokers && ReplicationFactor > 0
        ? ReplicationFactor
        : throw new ArgumentOutOfRangeException(nameof(ReplicationFactor), ReplicationFactor, $"{Brokers} brokers can hold 1 to {Brokers} copies of a partition.");

    /// <summary>In-sync copies a write waits for: a majority, so one broker may be down.</summary>
    public int MinInSyncReplicas => ReplicationFactor / 2 + 1;
}
