using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Confluent.Kafka;

namespace SomaAgent.Messaging.Kafka;

/// <summary>
/// <c>kafka_consumer_lag</c>: for every partition a consumer of this process is assigned, the messages between its
/// position (the next offset it will read) and the partition's high watermark, by group, topic and partition. Read when
/// metrics are collected, from what librdkafka already knows (no broker round trip), so a consumer stuck in a handler
/// shows its lag growing while its fetcher keeps learning the new high watermarks.
/// </summary>
/// <remarks>
/// One gauge per process over the consumers alive in it, like the other SomaAgent instruments: OpenTelemetry merges
/// instruments of one name into one stream, and a second bus's gauge (a test's) going away would end the first's.
/// </remarks>
internal static class KafkaConsumerLag
{
    public const string MeterName = "SomaAgent.Messaging.Kafka";
    public const string InstrumentName = "kafka.consumer.lag";

    private static readonly ConcurrentDictionary<IConsumer<string, byte[]>, string> Consumers = new();

    private static readonly Meter Meter = new(MeterName);

    private static readonly ObservableGauge<long> Gauge = Meter.CreateObservableGauge(InstrumentName, Observe,
        description: "Messages a consumer group has not read yet, per topic and partition: high watermark minus the consumer's position.");

    /// <summary>Reports <paramref name="consumer"/>'s lag until the result is disposed, which must happen before the consumer closes.</summary>
    public static IDisposable Track(string group, IConsumer<string, byte[]> consumer)
    {
        _ = Gauge;
        Consumers[consumer] = group;
        return new Tracked(consumer);
    }

    private static IEnumerable<Measurement<long>> Observe()
    {
        var measurements = new List<Measurement<long>>();
        foreach (var (consumer, group) in Consumers)
        {
            // The lock keeps a consumer from closing while its offsets are read (see Tracked.Dispose).
            lock (consumer)
            {
                if (!Consumers.ContainsKey(consumer))
                {
                    continue;
                }
                try
                {
                    foreach (var partition in consumer.Assignment)
                    {
                        var position = consumer.Position(partition);
                        var high = consumer.GetWatermarkOffsets(partition).High;
                        if (position.IsSpecial || high.IsSpecial)
                        {
                            // Nothing read or fetched yet: the lag is not known, and a guess would mislead.
                            continue;
                        }
                        measurements.Add(new Measurement<long>(Math.Max(0, high.Value - position.Value),
                            new("group", group), new("topic", partition.Topic), new("partition", partition.Partition.Value)));
                    }
                }
                catch (KafkaException)
                {
                    // A rebalance under way: the next collection reads the new assignment.
                }
            }
        }
        return measurements;
    }

    private sealed class Tracked(IConsumer<string, byte[]> consumer) : IDisposable
    {
        public void Dispose()
        {
            lock (consumer)
            {
                Consumers.TryRemove(consumer, out _);
            }
        }
    }
}
