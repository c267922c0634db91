using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using SomaAgent.Runtime;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Messaging.Kafka;

public sealed partial class KafkaEventBus
{
    /// <summary>How often an every-instance consumer looks for partitions added to its topics.</summary>
    private static readonly TimeSpan PartitionCheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads every partition of its topics itself (assigned, not subscribed: no consumer group, no rebalance,
    /// no commit), from the end each partition had when this process started. Used for notices that must reach
    /// the instance holding some state in memory, whichever it is: a tool result for the worker whose turn waits
    /// for it, a cancel for the worker running the turn, stored events for the gateway streaming them. A message
    /// that cannot be read or handled is logged and skipped; it stays in the topic for the other instances.
    /// </summary>
    private sealed class InstanceConsumer : IDisposable
    {
        private readonly KafkaEventBus _bus;
        private readonly BusConsumer _spec;
        private readonly IConsumer<string, byte[]> _consumer;
        private readonly HashSet<TopicPartition> _assigned = [];
        private readonly IDisposable _lag;
        private bool _positioned;
        private DateTime _nextPartitionCheck;

        private InstanceConsumer(KafkaEventBus bus, BusConsumer spec, IConsumer<string, byte[]> consumer)
        {
            _bus = bus;
            _spec = spec;
            _consumer = consumer;
            // Labelled by the role, not the reader's own group id: that one is new at every start.
            _lag = KafkaConsumerLag.Track(spec.Group + "-instance", consumer);
        }

        /// <summary>
        /// Creates the consumer and assigns it every partition at its current end (blocking: start-up only). When
        /// the brokers cannot be reached yet, the reader positions itself at the end once they can: this instance
        /// cannot have asked anything of anyone before then.
        /// </summary>
        public static InstanceConsumer Start(KafkaEventBus bus, BusConsumer spec)
        {
            var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
            {
                BootstrapServers = bus._bootstrapServers,
                // Never joins or commits: the id only names this reader in the broker's logs.
                GroupId = $"{bus._options.GroupPrefix}{spec.Group}-instance-{Guid.NewGuid():N}",
                ClientId = ClientId,
                EnableAutoCommit = false,
                FetchWaitMaxMs = bus._options.FetchWaitMaxMs,
                SocketNagleDisable = true,
            })
                .SetLogHandler((_, log) => bus.OnClientLog(log))
                .SetErrorHandler((_, error) => bus.OnClientError(error))
                .Build();
            var reader = new InstanceConsumer(bus, spec, consumer);
            reader.TryPosition();
            return reader;
        }

        /// <summary>The consumer's name in logs: what it reads every partition of.</summary>
        public string Name => $"{_spec.Group} ({string.Join(", ", _spec.Topics)})";

        public async Task RunAsync(CancellationToken stoppingToken)
        {
            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    if (!_positioned)
                    {
                        if (!TryPosition())
                        {
                            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                            continue;
                        }
                    }
                    else if (DateTime.UtcNow >= _nextPartitionCheck)
                    {
                        AssignNewPartitions(atEnd: false);
                    }
                    // A short poll, so a stop or a due partition check is never more than this away.
                    var result = await _bus.NextAsync(_spec.Group, () => _consumer.Consume(TimeSpan.FromMilliseconds(250)), stoppingToken);
                    if (result?.Message is null)
                    {
                        continue;
                    }
                    await _bus.HandleAsync(_spec, result, error => Skip(result, error), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }

        /// <summary>Places the reader at the current end of every partition; false (logged) while the brokers cannot be reached.</summary>
        private bool TryPosition()
        {
            try
            {
                AssignNewPartitions(atEnd: true);
                _positioned = true;
            }
            catch (KafkaException ex) when (!ex.Error.IsFatal)
            {
                _bus.LogConsumeError(_spec.Group, $"cannot find where its topics end yet ({ex.Error.Reason}); it reads them from their end once the brokers answer");
            }
            return _positioned;
        }

        /// <summary>
        /// Assigns the partitions of its topics it does not read yet: at start-up from their current end (only
        /// what is published from now on concerns this instance), later from their beginning (a partition added
        /// to a topic while running holds only messages published after it was added).
        /// </summary>
        private void AssignNewPartitions(bool atEnd)
        {
            _nextPartitionCheck = DateTime.UtcNow + PartitionCheckInterval;
            var timeout = TimeSpan.FromSeconds(_bus._options.AdminTimeoutSeconds);
            using var admin = new DependentAdminClientBuilder(_consumer.Handle).Build();
            var added = new List<TopicPartitionOffset>();
            foreach (var topic in _spec.Topics)
            {
                Metadata metadata;
                try
                {
                    metadata = admin.GetMetadata(topic, timeout);
                }
                catch (KafkaException ex) when (!atEnd && !ex.Error.IsFatal)
                {
                    // A later check tries again; what it finds then is read from its beginning.
                    _bus.LogConsumeError(_spec.Group, $"could not list the partitions of {topic}: {ex.Error.Reason}");
                    continue;
                }
                foreach (var partition in metadata.Topics.SelectMany(t => t.Partitions))
                {
                    var topicPartition = new TopicPartition(topic, partition.PartitionId);
                    if (_assigned.Contains(topicPartition))
                    {
                        continue;
                    }
                    var offset = atEnd ? _consumer.QueryWatermarkOffsets(topicPartition, timeout).High : Offset.Beginning;
                    added.Add(new TopicPartitionOffset(topicPartition, offset));
                }
            }
            if (added.Count == 0)
            {
                return;
            }
            _consumer.IncrementalAssign(added);
            foreach (var partition in added)
            {
                _assigned.Add(partition.TopicPartition);
            }
            _bus.LogInstanceAssigned(_spec.Group, new PartitionList([.. added.Select(p => p.TopicPartition)]));
        }

        private Task Skip(ConsumeResult<string, byte[]> result, string error)
        {
            _bus.LogSkipped(result.Topic, _spec.Group, result.TopicPartitionOffset.ToString(), error);
            return Task.CompletedTask;
        }

        public void Dispose()
        {
            _lag.Dispose();
            _consumer.Close();
            _consumer.Dispose();
        }
    }

    [LoggerMessage(EventId = 1706, Level = LogLevel.Information, Message = "Kafka consumer {Group} reads every partition itself: {Partitions}")]
    private partial void LogInstanceAssigned(string group, PartitionList partitions);

    [LoggerMessage(EventId = 1707, Level = LogLevel.Error, Message = "Skipped a message on {Topic} in {Group} at {Offset}: {Error}")]
    private partial void LogSkipped(string topic, string group, string offset, string error);
}
