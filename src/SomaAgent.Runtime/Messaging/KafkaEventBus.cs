using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Sessions;

namespace SomaAgent.Runtime.Messaging;

/// <summary>
/// The Kafka bus. Producers use acks=all with idempotence; messages are keyed by session id, so one session
/// stays ordered on one partition; W3C trace context rides in the headers. One consumer per group reads all
/// of its topics and commits an offset only after the handler finished, so a crash redelivers instead of
/// losing (handlers are idempotent). A message whose handler keeps failing is parked in
/// <c>&lt;topic&gt;.dead-letter</c> with the error, then committed, so one poison message cannot stall a partition.
/// </summary>
public sealed partial class KafkaEventBus : BackgroundService, IEventBus
{
    public const string TraceParentHeader = "traceparent";
    public const string TraceStateHeader = "tracestate";
    public const string ErrorHeader = "somaagent-error";
    public const int HandlerAttempts = 3;

    private readonly string _bootstrapServers;
    private readonly KafkaOptions _options;
    private readonly BusSubscriptions _subscriptions;
    private readonly BusDispatcher _dispatcher;
    private readonly DeadLetterRecorder _deadLetters;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly ILogger<KafkaEventBus> _logger;
    private readonly IProducer<string, byte[]> _producer;
    private int _disposed;

    public KafkaEventBus(
        string bootstrapServers,
        IOptions<KafkaOptions> options,
        BusSubscriptions subscriptions,
        BusDispatcher dispatcher,
        DeadLetterRecorder deadLetters,
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
        _logger = logger;
        _producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 1,
            ClientId = $"somaagent-{Environment.MachineName}-{Environment.ProcessId}",
        }).Build();
    }

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
            Value = JsonSerializer.SerializeToUtf8Bytes(message, SessionJsonContext.Wire.BusMessage),
            Headers = headers,
        }, cancellationToken);
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await CreateTopicsAsync();
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Consumers leave their groups as soon as the host begins to stop, before the roles stop: their
        // partitions move to the other instances, and what this one hands over on the way out (turns it
        // was running) is consumed there instead of by a consumer about to close.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _lifetime?.ApplicationStopping ?? CancellationToken.None);
        await Task.WhenAll(_subscriptions.Groups.Select(group =>
            Task.Factory.StartNew(() => ConsumeAsync(group.Group, group.Topics, group.OnlyNew, stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()));
    }

    public override void Dispose()
    {
        // The container may dispose this twice (it is both the bus and a hosted service).
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
        base.Dispose();
    }

    private async Task ConsumeAsync(string group, IReadOnlyList<string> topics, bool onlyNew, CancellationToken stoppingToken)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            GroupId = _options.GroupPrefix + group,
            EnableAutoCommit = false,
            AutoOffsetReset = onlyNew ? AutoOffsetReset.Latest : AutoOffsetReset.Earliest,
        };
        if (_options.GroupProtocol == "classic")
        {
            config.GroupProtocol = Confluent.Kafka.GroupProtocol.Classic;
            config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        }
        else
        {
            config.GroupProtocol = Confluent.Kafka.GroupProtocol.Consumer;
        }
        using var consumer = new ConsumerBuilder<string, byte[]>(config).Build();
        consumer.Subscribe(topics);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<string, byte[]>? result;
                try
                {
                    result = consumer.Consume(stoppingToken);
                }
                catch (ConsumeException ex) when (!ex.Error.IsFatal)
                {
                    // Transient (a topic not there yet, a broker moving): librdkafka recovers by itself.
                    LogConsumeError(group, ex.Error.Reason);
                    await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
                    continue;
                }
                if (result?.Message is null)
                {
                    continue;
                }
                await HandleAsync(result, group, stoppingToken);
                try
                {
                    consumer.Commit(result);
                }
                catch (KafkaException ex) when (!ex.Error.IsFatal)
                {
                    // A rebalance took the partition away meanwhile: its new owner gets the message again,
                    // which handlers tolerate (they are idempotent).
                    LogCommitFailed(group, result.TopicPartitionOffset.ToString(), ex.Error.Reason);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            consumer.Close();
        }
    }

    private async Task HandleAsync(ConsumeResult<string, byte[]> result, string group, CancellationToken stoppingToken)
    {
        BusMessage? message;
        try
        {
            message = JsonSerializer.Deserialize(result.Message.Value, SessionJsonContext.Wire.BusMessage);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            await ParkAsync(result, $"unreadable message: {ex.Message}");
            return;
        }
        if (message is null)
        {
            await ParkAsync(result, "empty message");
            return;
        }

        var parent = ParentOf(result.Message.Headers);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _dispatcher.DispatchAsync(result.Topic, group, message, parent, "kafka", stoppingToken);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested && attempt < HandlerAttempts)
            {
                LogHandlerRetry(result.Topic, group, message.MessageId, attempt, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogHandlerParked(result.Topic, group, message.MessageId, ex);
                await ParkAsync(result, ex.Message);
                return;
            }
        }
    }

    private async Task ParkAsync(ConsumeResult<string, byte[]> result, string error)
    {
        var headers = new Headers();
        foreach (var header in result.Message.Headers ?? [])
        {
            headers.Add(header.Key, header.GetValueBytes());
        }
        headers.Add(ErrorHeader, Encoding.UTF8.GetBytes(error));
        await _producer.ProduceAsync(DeadLetterTopic(result.Topic), new Message<string, byte[]>
        {
            Key = result.Message.Key,
            Value = result.Message.Value,
            Headers = headers,
        });
        await _deadLetters.RecordAsync(this, result.Topic, result.Message.Key, error, CancellationToken.None);
    }

    public static string DeadLetterTopic(string topic) => $"{topic}.dead-letter";

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

    /// <summary>Creates the topics that do not exist yet, with the configured partitions and replication.</summary>
    private async Task CreateTopicsAsync()
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _bootstrapServers }).Build();
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

    [LoggerMessage(EventId = 1704, Level = LogLevel.Warning, Message = "Kafka consumer of group {Group} could not commit {Offset}: {Reason}")]
    private partial void LogCommitFailed(string group, string offset, string reason);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Warning, Message = "Kafka consumer of group {Group}: {Reason}")]
    private partial void LogConsumeError(string group, string reason);

    [LoggerMessage(EventId = 1700, Level = LogLevel.Warning, Message = "Kafka topics were not created at start-up: {Reason}")]
    private partial void LogTopicsNotCreated(string reason);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "Handler for {Topic} in group {Group} failed on message {MessageId} (attempt {Attempt}); retrying")]
    private partial void LogHandlerRetry(string topic, string group, Guid messageId, int attempt, Exception exception);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Error, Message = "Handler for {Topic} in group {Group} kept failing on message {MessageId}; parked in the dead-letter topic")]
    private partial void LogHandlerParked(string topic, string group, Guid messageId, Exception exception);
}
