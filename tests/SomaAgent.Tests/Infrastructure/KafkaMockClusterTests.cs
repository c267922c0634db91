using System.Globalization;
using Confluent.Kafka;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>The Kafka mock cluster fixture speaks the real wire protocol to Confluent.Kafka clients.</summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaMockClusterTests(KafkaMockCluster kafka)
{
    private const int DownBrokerId = 2;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Idempotent_producer_and_consumer_group_round_trip_keyed_messages_in_key_order()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = NewTopicName("round-trip");
        kafka.CreateTopic(topic, partitions: 6);

        using (var producer = NewProducer())
        {
            var deliveries = Messages(count: 100, keys: 10).Select(m => producer.ProduceAsync(topic, m, ct)).ToList();
            var reports = await Task.WhenAll(deliveries).WaitAsync(Budget, ct);
            reports.ShouldAllBe(r => r.Status == PersistenceStatus.Persisted);
        }

        var received = ConsumeAllAndCommit(topic, expected: 100, ct);

        ShouldBeInKeyOrder(received, count: 100, keys: 10);
    }

    [Fact]
    public async Task A_broker_that_goes_down_and_comes_back_loses_no_messages()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = NewTopicName("broker-down");
        kafka.CreateTopic(topic, partitions: 6);
        // Leaders are placed at random; pin one partition to the broker that goes down.
        kafka.SetPartitionLeader(topic, partition: 0, DownBrokerId);

        List<Task<DeliveryResult<string, string>>> deliveries;
        using (var producer = NewProducer())
        {
            kafka.SetBrokerDown(DownBrokerId);
            try
            {
                deliveries = Messages(count: 100, keys: 20).Select(m => producer.ProduceAsync(topic, m, ct)).ToList();
                // The down broker keeps leadership, so its partitions stall; the producer keeps retrying them.
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                deliveries.Count(d => !d.IsCompleted).ShouldBeGreaterThan(0, "partition 0 is led by the down broker");
            }
            finally
            {
                kafka.SetBrokerUp(DownBrokerId);
            }

            var reports = await Task.WhenAll(deliveries).WaitAsync(Budget, ct);
            reports.ShouldAllBe(r => r.Status == PersistenceStatus.Persisted);
        }

        var received = ConsumeAllAndCommit(topic, expected: 100, ct);

        ShouldBeInKeyOrder(received, count: 100, keys: 20);
    }

    private IProducer<string, string> NewProducer() =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            MessageTimeoutMs = (int)Budget.TotalMilliseconds,
            // Reconnect quickly once a broker is back up (the default backoff grows to 10 s).
            ReconnectBackoffMaxMs = 500,
        }).Build();

    /// <summary>Reads <paramref name="expected"/> messages with a fresh consumer group, then commits them.</summary>
    private List<ConsumeResult<string, string>> ConsumeAllAndCommit(string topic, int expected, CancellationToken ct)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = $"{topic}-group",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);

        var received = new List<ConsumeResult<string, string>>(expected);
        var deadline = DateTime.UtcNow + Budget;
        while (received.Count < expected && DateTime.UtcNow < deadline)
        {
            ct.ThrowIfCancellationRequested();
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                received.Add(result);
            }
        }

        received.Count.ShouldBe(expected, $"messages read from '{topic}' within {Budget}");

        var lastPerPartition = received
            .GroupBy(r => r.TopicPartition)
            .Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1))
            .ToList();
        consumer.Commit(lastPerPartition);
        var committed = consumer.Committed(lastPerPartition.Select(p => p.TopicPartition), Budget);
        committed.OrderBy(c => c.Partition.Value).ShouldBe(lastPerPartition.OrderBy(c => c.Partition.Value));
        consumer.Close();
        return received;
    }

    /// <summary>Each value is <c>key:sequence</c>; per key, the sequence must come back as 0, 1, 2, ….</summary>
    private static void ShouldBeInKeyOrder(List<ConsumeResult<string, string>> received, int count, int keys)
    {
        var perKey = received.GroupBy(r => r.Message.Key).ToDictionary(
            g => g.Key,
            g => g.Select(r => int.Parse(r.Message.Value.Split(':')[1], CultureInfo.InvariantCulture)).ToList());
        perKey.Count.ShouldBe(keys);
        foreach (var (key, sequence) in perKey)
        {
            sequence.ShouldBe(Enumerable.Range(0, count / keys), $"order of key '{key}'");
        }
    }

    private static IEnumerable<Message<string, string>> Messages(int count, int keys) =>
        Enumerable.Range(0, count).Select(i => new Message<string, string>
        {
            Key = $"key-{i % keys}",
            Value = $"key-{i % keys}:{i / keys}",
        });

    private static string NewTopicName(string purpose) => $"mock-{purpose}-{Guid.NewGuid():N}";
}
