using System.ComponentModel.DataAnnotations;

namespace SomaAgent.Runtime.Messaging;

/// <summary>The Kafka bus (section <c>SomaAgent:Kafka</c>); selected by <c>ConnectionStrings:kafka</c> (bootstrap servers).</summary>
public sealed class KafkaOptions
{
    public const string SectionName = "SomaAgent:Kafka";

    /// <summary>Partitions of each topic the services create. Default 6.</summary>
    [Range(1, 1000)]
    public int Partitions { get; set; } = 6;

    /// <summary>Replication factor of the topics the services create. Default 1 (3 in the manifests).</summary>
    [Range(1, 16)]
    public short ReplicationFactor { get; set; } = 1;

    /// <summary>
    /// Prefix of every consumer group id, so several deployments (or test runs) can share one cluster
    /// without sharing offsets. Default none.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9._-]{0,64}$")]
    public string GroupPrefix { get; set; } = "";

    /// <summary>
    /// Consumer group protocol: <c>consumer</c> (KIP-848, Kafka 4.0+: members join and leave without
    /// stopping the others, so a replica going away hands its partitions over in moments) or <c>classic</c>
    /// (older brokers: a rebalance pauses the group). Default <c>consumer</c>.
    /// </summary>
    [RegularExpression("^(consumer|classic)$")]
    public string GroupProtocol { get; set; } = "consumer";

    /// <summary>How long start-up waits for the admin API to create missing topics. Default 10 s.</summary>
    [Range(1, 300)]
    public int AdminTimeoutSeconds { get; set; } = 10;
}
