using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace SomaAgent.Messaging.Kafka;

/// <summary>The Kafka bus (section <c>SomaAgent:Kafka</c>); selected by <c>ConnectionStrings:kafka</c> (bootstrap servers).</summary>
public sealed class KafkaOptions
{
    public const string SectionName = "SomaAgent:Kafka";
    public const string ConsumerProtocol = "consumer";
    public const string ClassicProtocol = "classic";

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
    public string GroupProtocol { get; set; } = ConsumerProtocol;

    /// <summary>How long start-up waits for the admin API to create missing topics. Default 10 s.</summary>
    [Range(1, 300)]
    public int AdminTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Longest time a broker may hold a fetch that finds no new message (<c>fetch.wait.max.ms</c>). A real
    /// broker answers as soon as a message arrives, so this only paces idle polling; librdkafka's mock cluster
    /// always waits it out, so tests and benchmarks against the mock set 10. Default 500 ms.
    /// </summary>
    [Range(1, 30_000)]
    public int FetchWaitMaxMs { get; set; } = 500;

    /// <summary>
    /// How long a producer waits for more messages to batch with one it was given (<c>linger.ms</c>): added
    /// to every hop of a turn, so it stays small; raise it only for throughput over latency. Default 1 ms.
    /// </summary>
    [Range(0, 1000)]
    public int LingerMs { get; set; } = 1;

    /// <summary>
    /// How often a shared consumer commits the offsets of the messages it has handled (they are also committed
    /// before its partitions are revoked and when it closes). A crash redelivers at most this much, which the
    /// idempotent handlers absorb; handling never waits for a commit. Default 1000 ms.
    /// </summary>
    [Range(50, 60_000)]
    public int CommitIntervalMs { get; set; } = 1000;

    /// <summary>
    /// Classic protocol only: how long the group waits for a silent member before moving its partitions
    /// (<c>session.timeout.ms</c>). With the consumer protocol the broker's
    /// <c>group.consumer.session.timeout.ms</c> decides (45 s by default). Default librdkafka's 45,000 ms.
    /// </summary>
    [Range(1000, 3_600_000)]
    public int? SessionTimeoutMs { get; set; }

    /// <summary>
    /// Classic protocol only: how often a member tells the group it is alive (<c>heartbeat.interval.ms</c>);
    /// at most a third of <see cref="SessionTimeoutMs"/>. With the consumer protocol the broker's
    /// <c>group.consumer.heartbeat.interval.ms</c> decides (5 s by default). Default librdkafka's 3,000 ms.
    /// </summary>
    [Range(100, 1_200_000)]
    public int? HeartbeatIntervalMs { get; set; }
}

/// <summary>Checks the Kafka settings that depend on each other, reporting every problem at once.</summary>
internal sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    private const int DefaultSessionTimeoutMs = 45_000;
    private const int DefaultHeartbeatIntervalMs = 3_000;

    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        var errors = new List<string>();
        if (options.GroupProtocol == KafkaOptions.ConsumerProtocol)
        {
            foreach (var (key, value, broker) in (ReadOnlySpan<(string, int?, string)>)[
                (nameof(KafkaOptions.SessionTimeoutMs), options.SessionTimeoutMs, "group.consumer.session.timeout.ms"),
                (nameof(KafkaOptions.HeartbeatIntervalMs), options.HeartbeatIntervalMs, "group.consumer.heartbeat.interval.ms")])
            {
                if (value is not null)
                {
                    errors.Add($"{KafkaOptions.SectionName}:{key} applies to the classic group protocol only; with {KafkaOptions.SectionName}:GroupProtocol=consumer the broker's {broker} decides. Remove the setting or set GroupProtocol to classic.");
                }
            }
        }
        else
        {
            var session = options.SessionTimeoutMs ?? DefaultSessionTimeoutMs;
            var heartbeat = options.HeartbeatIntervalMs ?? DefaultHeartbeatIntervalMs;
            if (heartbeat * 3 > session)
            {
                errors.Add($"{KafkaOptions.SectionName}:HeartbeatIntervalMs ({heartbeat}) must be at most a third of {KafkaOptions.SectionName}:SessionTimeoutMs ({session}), or one missed heartbeat ends the membership; lower the first or raise the second.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
