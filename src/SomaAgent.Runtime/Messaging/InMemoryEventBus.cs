using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SomaAgent.Runtime.Messaging;

/// <summary>
/// The embedded bus: every (topic, group) of this process gets a fixed number of partitions,
/// chosen by session id like Kafka's keyed partitioning, so one session is handled in order while
/// different sessions run in parallel. Messages live in memory only: durability comes from the store
/// (queued turns are re-dispatched at start-up). With one instance, <see cref="BusDelivery.Shared"/> and
/// <see cref="BusDelivery.EveryInstance"/> mean the same, so each group is one consumer of all its topics.
/// </summary>
public sealed partial class InMemoryEventBus : BackgroundService, IEventBus
{
    public const int PartitionCount = 6;

    private readonly Dictionary<string, List<Consumer>> _consumersByTopic = [];
    private readonly BusDispatcher _dispatcher;
    private readonly IDeadLetterHandler _deadLetters;
    private readonly TimeProvider _time;
    private readonly ILogger<InMemoryEventBus> _logger;
    private readonly IHostApplicationLifetime? _lifetime;

    public InMemoryEventBus(
        BusSubscriptions subscriptions, BusDispatcher dispatcher, IDeadLetterHandler deadLetters, TimeProvider time, ILogger<InMemoryEventBus> logger,
        IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        _dispatcher = dispatcher;
        _deadLetters = deadLetters;
        _time = time;
        _logger = logger;
        _lifetime = lifetime;
        // In one process every instance is this one: a group's shared and every-instance subscriptions are one
        // consumer, so each message is queued and handled once, in order with the group's other messages.
        foreach (var consumer in subscriptions.All.GroupBy(s => s.Group)
            .Select(g => new BusConsumer(g.Key, BusDelivery.Shared, [.. g.Select(s => s.Topic).Distinct()], [.. g])))
        {
            foreach (var topic in consumer.Topics)
            {
                if (!_consumersByTopic.TryGetValue(topic, out var consumers))
                {
                    _consumersByTopic[topic] = consumers = [];
                }
                consumers.Add(new Consumer(topic, consumer));
            }
        }
    }

    public Task PublishAsync(string topic, BusMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = RuntimeDiagnostics.ActivitySource.StartActivity($"{topic} publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "in-memory");
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("messaging.message.id", message.MessageId.ToString());
        RuntimeDiagnostics.MessagesPublished.Add(1, new KeyValuePair<string, object?>("topic", topic));

        if (_consumersByTopic.TryGetValue(topic, out var consumers))
        {
            var parent = activity?.Context ?? Activity.Current?.Context ?? default;
            var partition = PartitionOf(message.SessionId);
            message = message.Stamped(_time);
            foreach (var consumer in consumers)
            {
                consumer.Partitions[partition].Writer.TryWrite(new Delivery(message, parent));
            }
        }
        return Task.CompletedTask;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_consumersByTopic.Values
            .SelectMany(consumers => consumers)
            .SelectMany(consumer => consumer.Partitions.Select(partition => BackgroundLoop.RunAsync(
                $"in-memory consumer {consumer.Group} of {consumer.Topic}", () => ConsumeAsync(consumer, partition, stoppingToken), _lifetime, _logger, stoppingToken))));

    private async Task ConsumeAsync(Consumer consumer, Channel<Delivery> partition, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var delivery in partition.Reader.ReadAllAsync(stoppingToken))
            {
                var failure = await _dispatcher.DispatchWithRetriesAsync(consumer.Spec, consumer.Topic, delivery.Message, delivery.Parent, "in-memory",
                    (_, ex) => LogHandlerFailed(consumer.Topic, consumer.Group, delivery.Message.MessageId, ex), stoppingToken);
                if (failure is not null)
                {
                    // Same rule as Kafka's dead-letter topic: the message is dropped, the session told why.
                    LogHandlerFailed(consumer.Topic, consumer.Group, delivery.Message.MessageId, failure);
                    await _deadLetters.HandleAsync(this, consumer.Topic, delivery.Message.SessionId.ToString(), failure.Message, CancellationToken.None);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static int PartitionOf(Guid sessionId) => (int)((uint)sessionId.GetHashCode() % PartitionCount);

    private sealed record Delivery(BusMessage Message, ActivityContext Parent);

    private sealed class Consumer(string topic, BusConsumer spec)
    {
        public string Topic { get; } = topic;
        public BusConsumer Spec { get; } = spec;
        public string Group => Spec.Group;
        public Channel<Delivery>[] Partitions { get; } = Enumerable.Range(0, PartitionCount)
            .Select(_ => Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true }))
            .ToArray();
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Error, Message = "Handler for {Topic} in group {Group} failed on message {MessageId}")]
    private partial void LogHandlerFailed(string topic, string group, Guid messageId, Exception exception);
}
