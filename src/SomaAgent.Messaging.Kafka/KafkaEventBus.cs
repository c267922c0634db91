using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Messaging.Kafka;

/// <summary>
/// The Kafka bus. Producers use acks=all with idempotence; messages are keyed by session id, so one session
/// stays ordered on one partition; W3C trace context rides in the headers. Each consumer of this process reads
/// all of its topics on a thread of its own: a <see cref="BusDelivery.Shared"/> consumer in its consumer group,
/// storing an offset for commit only after the handler finished (a crash redelivers; handlers are idempotent)
/// and parking a message its handler keeps failing on in <c>&lt;topic&gt;.dead-letter</c>; an
/// <see cref="BusDelivery.EveryInstance"/> consumer on every partition, from where the topics ended at start-up.
/// </summary>
public sealed partial class KafkaEventBus : BackgroundService, IEventBus
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";
    public const string ErrorHeader = "somaagent-error";

    private readonly string _bootstrapServers;
    private readonly KafkaOptions _options;
    private readonly BusSubscriptions _subscriptions;
    private readonly BusDispatcher _dispatcher;
    private readonly IDeadLetterHandler _deadLetters;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger<KafkaEventBus> _logger;
    private readonly IProducer<string, byte[]> _producer;
    private readonly List<InstanceConsumer> _instanceConsumers = [];
    private int _disposed;

    public KafkaEventBus(
        string bootstrapServers,
        IOptions<KafkaOptions> options,
        BusSubscriptions subscriptions,
        BusDispatcher dispatcher,
        IDeadLetterHandler deadLetters,
        TimeProvider time,
        ILogger<KafkaEventBus> logger,
        IHostApplicationLifetime? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _bootstrapServers = bootstrapServers;
        _options = options.Value;
        _subscriptions = subscriptions;
        _dispatcher = dispatcher;
        _deadLetters = deadLetters;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = _options.LingerMs,
            SocketNagleDisable = true,
            ClientId = ClientId,
        })
            .SetLogHandler((_, log) => OnClientLog(log))
            .SetErrorHandler((_, error) => OnClientError(error))
            .Build();
    }

    private static string ClientId => $"somaagent-{Environment.MachineName}-{Environment.ProcessId}";

    public async Task PublishAsync(string topic, BusMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = RuntimeDiagnostics.ActivitySource.StartActivity($"{topic} publish", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "kafka");
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("messaging.message.id", message.MessageId.ToString());

        var headers = new Headers();
        if ((activity ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C } context)
        {
            headers.Add(TraceParentHeader, Encoding.ASCII.GetBytes(context.Id!));
            if (context.TraceStateString is { Length: > 0 } state)
            {
                headers.Add(TraceStateHeader, Encoding.ASCII.GetBytes(state));
            }
        }
        await _producer.ProduceAsync(topic, new Message<string, byte[]>
        {
            Key = message.SessionId.ToString(),
            Value = JsonSerializer.SerializeToUtf8Bytes(message.Stamped(_time), BusJsonContext.Wire.BusMessage),
            Headers = headers,
        }, cancellationToken);
        RuntimeDiagnostics.MessagesPublished.Add(1, new KeyValuePair<string, object?>("topic", topic));
    }

    /// <summary>
    /// Creates missing topics, then places every every-instance consumer at the current end of its topics
    /// before any role starts: whatever this process asks for afterwards (a tool call), the answer is
    /// published later and so read here.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await CreateTopicsAsync();
        foreach (var consumer in _subscriptions.Consumers.Where(c => c.Delivery == BusDelivery.EveryInstance))
        {
            _instanceConsumers.Add(InstanceConsumer.Start(this, consumer));
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Consumers leave their groups as soon as the host begins to stop, before the roles stop: their
        // partitions move to the other instances, and what this one hands over on the way out (turns it
        // was running) is consumed there instead of by a consumer about to close.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _lifetime?.ApplicationStopping ?? CancellationToken.None);
        var loops = _subscriptions.Consumers
            .Where(c => c.Delivery == BusDelivery.Shared)
            .Select(c => (Name: $"Kafka consumer of group {c.Group}", Loop: (Func<Task>)(() => ConsumeSharedAsync(c, stopping.Token))))
            .Concat(_instanceConsumers.Select(c => (Name: $"Kafka reader {c.Name}", Loop: (Func<Task>)(() => c.RunAsync(stopping.Token)))));
        await Task.WhenAll(loops.Select(consumer => Task.Factory.StartNew(
            () => BackgroundLoop.RunAsync(consumer.Name, consumer.Loop, _lifetime, _logger, stopping.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()));
    }

    public override void Dispose()
    {
        // The container may dispose this twice (it is both the bus and a hosted service).
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        foreach (var consumer in _instanceConsumers)
        {
            consumer.Dispose();
        }
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// Reads the message and hands it to the consumer's handlers, retrying a failing handler. What cannot be
    /// read, or keeps failing, goes to <paramref name="giveUp"/> with the reason.
    /// </summary>
    private async Task HandleAsync(BusConsumer consumer, ConsumeResult<string, byte[]> result, Func<string, Task> giveUp, CancellationToken stoppingToken)
    {
        BusMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(result.Message.Value, BusJsonContext.Wire.BusMessage);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            await giveUp($"unreadable message: {ex.Message}");
            return;
        }
        if (message is null)
        {
            await giveUp("empty message");
            return;
        }

        var failure = await _dispatcher.DispatchWithRetriesAsync(consumer, result.Topic, message, ParentOf(result.Message.Headers), "kafka",
            (attempt, ex) => LogHandlerRetry(result.Topic, consumer.Group, message.MessageId, attempt, ex), stoppingToken);
        if (failure is not null)
        {
            LogHandlerGaveUp(result.Topic, consumer.Group, message.MessageId, failure);
            await giveUp(failure.Message);
        }
    }

    /// <summary>
    /// The next message, or null: none came in time, or a transient consume error (a topic not there yet, a broker
    /// moving) was logged and briefly waited out; librdkafka recovers from those by itself.
    /// </summary>
    private async Task<ConsumeResult<string, byte[]>?> NextAsync(string group, Func<ConsumeResult<string, byte[]>?> consume, CancellationToken stoppingToken)
    {
        try
        {
            return consume();
        }
        catch (ConsumeException ex) when (!ex.Error.IsFatal)
        {
            LogConsumeError(group, ex.Error.Reason);
            await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
            return null;
        }
    }

    private static ActivityContext ParentOf(Headers? headers)
    {
        if (headers is not null && headers.TryGetLastBytes(TraceParentHeader, out var traceParent))
        {
            var state = headers.TryGetLastBytes(TraceStateHeader, out var bytes) ? Encoding.ASCII.GetString(bytes) : null;
            if (ActivityContext.TryParse(Encoding.ASCII.GetString(traceParent), state, out var context))
            {
                return context;
            }
        }
        return default;
    }

    /// <summary>Partitions as a log shows them, <c>topic[0,1,2], other[3]</c>; formatted only when the line is written.</summary>
    private readonly record struct PartitionList(IEnumerable<TopicPartition> Partitions)
    {
        public override string ToString() =>
            string.Join(", ", Partitions.GroupBy(p => p.Topic).Select(t => $"{t.Key}[{string.Join(",", t.Select(p => p.Partition.Value).Order())}]"));
    }

    /// <summary>How many brokers answer a metadata request sent over the producer's connections; throws when none does in time.</summary>
    internal int ReachableBrokers(TimeSpan timeout)
    {
        using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
        return admin.GetMetadata(timeout).Brokers.Count;
    }

    /// <summary>Creates the topics that do not exist yet, with the configured partitions and replication.</summary>
    private async Task CreateTopicsAsync()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _bootstrapServers })
            .SetLogHandler((_, log) => OnClientLog(log))
            .Build();
        try
        {
            await admin.CreateTopicsAsync(
                Topics.All.Select(t => new TopicSpecification { Name = t, NumPartitions = _options.Partitions, ReplicationFactor = _options.ReplicationFactor }),
                new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(_options.AdminTimeoutSeconds), OperationTimeout = TimeSpan.FromSeconds(_options.AdminTimeoutSeconds) });
        }
        catch (CreateTopicsException ex) when (ex.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
        }
        catch (KafkaException ex)
        {
            // Some servers (librdkafka's mock cluster among them) do not support CreateTopics; they are set up
            // by their owner instead. Anything really missing shows up as produce or consume errors.
            LogTopicsNotCreated(ex.Message);
        }
    }

    [LoggerMessage(EventId = 1700, Level = LogLevel.Warning, Message = "Kafka topics were not created at start-up: {Reason}")]
    private partial void LogTopicsNotCreated(string reason);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "Handler for {Topic} in {Group} failed on message {MessageId} (attempt {Attempt}); retrying")]
    private partial void LogHandlerRetry(string topic, string group, Guid messageId, int attempt, Exception exception);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Error, Message = "Handler for {Topic} in {Group} kept failing on message {MessageId}; giving it up")]
    private partial void LogHandlerGaveUp(string topic, string group, Guid messageId, Exception exception);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Warning, Message = "Kafka consumer {Group}: {Reason}")]
    private partial void LogConsumeError(string group, string reason);
}
