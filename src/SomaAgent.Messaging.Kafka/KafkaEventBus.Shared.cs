using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using SomaAgent.Runtime;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Messaging.Kafka;

public sealed partial class KafkaEventBus
{
    /// <summary>
    /// One member of a consumer group: the group spreads the partitions over its members and moves them when
    /// members come and go. An offset is stored for commit only after its message was handled (or parked), and
    /// stored offsets are committed in the background, before partitions are revoked and when the consumer
    /// closes, so a crash redelivers at most <see cref="KafkaOptions.CommitIntervalMs"/> of handled messages.
    /// </summary>
    private async Task ConsumeSharedAsync(BusConsumer spec, CancellationToken stoppingToken)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            GroupId = _options.GroupPrefix + spec.Group,
            ClientId = ClientId,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoCommitIntervalMs = _options.CommitIntervalMs,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = _options.FetchWaitMaxMs,
            SocketNagleDisable = true,
        };
        if (_options.GroupProtocol == KafkaOptions.ClassicProtocol)
        {
            config.GroupProtocol = GroupProtocol.Classic;
            config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
            config.SessionTimeoutMs = _options.SessionTimeoutMs;
            config.HeartbeatIntervalMs = _options.HeartbeatIntervalMs;
        }
        else
        {
            // KIP-848: session timeout and heartbeat interval are the broker's (group.consumer.*) settings.
            config.GroupProtocol = GroupProtocol.Consumer;
        }
        using var consumer = new ConsumerBuilder<string, byte[]>(config)
            .SetPartitionsAssignedHandler((c, partitions) => LogAssignment(spec.Group, "assigned", partitions))
            .SetPartitionsRevokedHandler((c, partitions) =>
            {
                LogAssignment(spec.Group, "revoked", [.. partitions.Select(p => p.TopicPartition)]);
                CommitStored(c, spec.Group);
            })
            .SetPartitionsLostHandler((c, partitions) => LogAssignment(spec.Group, "lost", [.. partitions.Select(p => p.TopicPartition)]))
            .SetLogHandler((_, log) => OnClientLog(log))
            .SetErrorHandler((_, error) => OnClientError(error))
            .Build();
        consumer.Subscribe(spec.Topics);
        var lag = KafkaConsumerLag.Track(spec.Group, consumer);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var result = await NextAsync(spec.Group, () => consumer.Consume(stoppingToken), stoppingToken);
                if (result?.Message is null)
                {
                    continue;
                }
                // A message fetched as the host began to stop is left to the partition's next owner.
                stoppingToken.ThrowIfCancellationRequested();
                await HandleAsync(spec, result, error => ParkAsync(result, error), stoppingToken);
                try
                {
                    consumer.StoreOffset(result);
                }
                catch (KafkaException ex) when (!ex.Error.IsFatal)
                {
                    // A rebalance took the partition away meanwhile: its new owner gets the message again,
                    // which handlers tolerate (they are idempotent).
                    LogCommitFailed(spec.Group, result.TopicPartitionOffset.ToString(), ex.Error.Reason);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            lag.Dispose();
            // Commits what was stored and leaves the group, so the partitions move on at once.
            consumer.Close();
        }
    }

    private void CommitStored(IConsumer<string, byte[]> consumer, string group)
    {
        try
        {
            consumer.Commit();
        }
        catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_NoOffset)
        {
        }
        catch (KafkaException ex) when (!ex.Error.IsFatal)
        {
            LogCommitFailed(group, "the handled offsets of revoked partitions", ex.Error.Reason);
        }
    }

    /// <summary>Parks a message in the dead-letter topic with the error and fails the session it was about.</summary>
    private async Task ParkAsync(ConsumeResult<string, byte[]> result, string error)
    {
        var headers = new Headers();
        foreach (var header in result.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }
        headers.Add(ErrorHeader, Encoding.UTF8.GetBytes(error));
        await _producer.ProduceAsync(Topics.DeadLetter(result.Topic), new Message<string, byte[]>
        {
            Key = result.Message.Key,
            Value = result.Message.Value,
            Headers = headers,
        });
        await _deadLetters.HandleAsync(this, result.Topic, result.Message.Key, error, CancellationToken.None);
    }

    private void LogAssignment(string group, string change, List<TopicPartition> partitions)
    {
        // The consumer protocol reports every step of an incremental change, most of them empty.
        if (partitions.Count > 0)
        {
            LogPartitionsChanged(group, change, new PartitionList(partitions));
        }
    }

    [LoggerMessage(EventId = 1704, Level = LogLevel.Warning, Message = "Kafka consumer of group {Group} could not commit {Offset}: {Reason}")]
    private partial void LogCommitFailed(string group, string offset, string reason);

    [LoggerMessage(EventId = 1705, Level = LogLevel.Information, Message = "Kafka consumer group {Group}: this member {Change} {Partitions}")]
    private partial void LogPartitionsChanged(string group, string change, PartitionList partitions);
}
