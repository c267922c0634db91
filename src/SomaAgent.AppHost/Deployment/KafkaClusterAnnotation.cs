using System.Globalization;
using System.Text;

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

    /// <summary>The settings of one node of the cluster (apache/kafka image), for Kubernetes and compose alike.</summary>
    public IEnumerable<(string Name, string Value)> NodeSettings(string voters, string advertisedListener)
    {
        var replication = ReplicationFactor.ToString(CultureInfo.InvariantCulture);
        var minInSync = MinInSyncReplicas.ToString(CultureInfo.InvariantCulture);
        yield return ("CLUSTER_ID", "c29tYWFnZW50LWthZmthMQ");
        yield return ("KAFKA_PROCESS_ROLES", "broker,controller");
        yield return ("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093");
        yield return ("KAFKA_ADVERTISED_LISTENERS", advertisedListener);
        yield return ("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER");
        yield return ("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        yield return ("KAFKA_CONTROLLER_QUORUM_VOTERS", voters);
        yield return ("KAFKA_LOG_DIRS", "/var/lib/kafka/data");
        yield return ("KAFKA_NUM_PARTITIONS", Partitions.ToString(CultureInfo.InvariantCulture));
        yield return ("KAFKA_DEFAULT_REPLICATION_FACTOR", replication);
        yield return ("KAFKA_MIN_INSYNC_REPLICAS", minInSync);
        yield return ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", replication);
        yield return ("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", replication);
        yield return ("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", minInSync);
    }

    /// <summary>Creates each topic that is missing; rerun safely (the Job retries until the brokers answer).</summary>
    public string TopicsScript(string bootstrap)
    {
        var script = new StringBuilder("set -e\n");
        foreach (var topic in Topics)
        {
            script.Append(CultureInfo.InvariantCulture,
                $"/opt/kafka/bin/kafka-topics.sh --bootstrap-server {bootstrap} --create --if-not-exists --topic {topic} --partitions {Partitions} --replication-factor {ReplicationFactor} --config min.insync.replicas={MinInSyncReplicas}\n");
        }
        return script.ToString();
    }
}
