using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SomaAgent.Messaging.Kafka;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Storage;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Messaging;

/// <summary>
/// What every bus must do, run against the in-memory bus and against the Kafka bus over a real Kafka wire
/// protocol (librdkafka's mock cluster). Each test uses its own topics and groups.
/// </summary>
public abstract class EventBusContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Settings that select the bus under test.</summary>
    protected abstract IDictionary<string, string?> BusSettings { get; }

    /// <summary>Makes a topic exist before anyone reads it.</summary>
    protected abstract void CreateTopic(string topic);

    [Fact]
    public async Task Every_published_message_reaches_its_handler_once()
    {
        var topic = NewTopic();
        await using var bus = await BusHost.StartAsync(BusSettings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, topic + "-workers"));

        var sent = Enumerable.Range(0, 50).Select(i => new TurnRequested { SessionId = Guid.NewGuid(), Turn = i }).ToList();
        foreach (var message in sent)
        {
            await bus.Bus.PublishAsync(topic, message, Ct);
        }

        var received = await bus.Recorder.WaitForAsync(50, Ct);
        received.Select(m => m.MessageId).ShouldBe(sent.Select(m => m.MessageId), ignoreOrder: true);
    }

    [Fact]
    public async Task Messages_of_one_session_arrive_in_order()
    {
        var topic = NewTopic();
        await using var bus = await BusHost.StartAsync(BusSettings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, topic + "-workers"));
        var session = Guid.NewGuid();

        for (var i = 0; i < 40; i++)
        {
            await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = session, Turn = i }, Ct);
        }

        var received = await bus.Recorder.WaitForAsync(40, Ct);
        received.Cast<TurnRequested>().Select(m => m.Turn).ShouldBe(Enumerable.Range(0, 40));
    }

    [Fact]
    public async Task Every_group_gets_every_message()
    {
        var topic = NewTopic();
        await using var bus = await BusHost.StartAsync(BusSettings, b => b
            .AddSubscription<TurnRequested, RecordingHandler>(topic, topic + "-first")
            .AddSubscription<TurnRequested, RecordingHandler>(topic, topic + "-second"));

        for (var i = 0; i < 10; i++)
        {
            await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = Guid.NewGuid(), Turn = i }, Ct);
        }

        var received = await bus.Recorder.WaitForAsync(20, Ct);
        received.GroupBy(m => m.MessageId).ShouldAllBe(g => g.Count() == 2);
    }

    [Fact]
    public async Task A_shared_and_an_every_instance_subscription_on_one_topic_each_get_their_own_messages_once()
    {
        var topic = NewTopic();
        await using var bus = await BusHost.StartAsync(BusSettings, b => b
            .AddSubscription<TurnRequested, RecordingHandler>(topic, topic + "-workers")
            .AddSubscription<TurnCancelRequested, RecordingCancelHandler>(topic, topic + "-workers", BusDelivery.EveryInstance));
        var session = Guid.NewGuid();

        await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = session, Turn = 1 }, Ct);
        await bus.Bus.PublishAsync(topic, new TurnCancelRequested { SessionId = session, Turn = 1 }, Ct);

        var received = await bus.Recorder.WaitForAsync(2, Ct);
        received.Select(m => m.GetType()).ShouldBe([typeof(TurnRequested), typeof(TurnCancelRequested)], ignoreOrder: true);
    }

    [Fact]
    public async Task A_message_carries_when_it_was_published_by_the_bus_clock()
    {
        var topic = NewTopic();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        await using var bus = await BusHost.StartAsync(BusSettings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, topic + "-workers"), clock);

        await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = Guid.NewGuid(), Turn = 1 }, Ct);

        (await bus.Recorder.WaitForAsync(1, Ct)).Single().OccurredAt.ShouldBe(new DateTime(2031, 5, 6, 7, 8, 9, DateTimeKind.Utc));
    }

    [Fact]
    public async Task Trace_context_travels_with_the_message()
    {
        var topic = NewTopic();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("SomaAgent", StringComparison.Ordinal) || source.Name == "tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("tests");
        await using var bus = await BusHost.StartAsync(BusSettings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, topic + "-workers"));

        ActivityTraceId traceId;
        using (var root = source.StartActivity("publisher"))
        {
            traceId = root!.TraceId;
            await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = Guid.NewGuid(), Turn = 1 }, Ct);
        }

        await bus.Recorder.WaitForAsync(1, Ct);
        bus.Recorder.TraceIds.ShouldContain(traceId);
    }

    [Fact]
    public async Task A_message_its_handler_keeps_failing_on_ends_its_session_failed_with_the_reason_and_the_rest_go_on()
    {
        var topic = NewTopic();
        CreateTopic(Topics.DeadLetter(topic));
        await using var bus = await BusHost.StartAsync(BusSettings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, topic + "-workers"));
        var session = await bus.AddRunningSessionAsync(Ct);

        await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = session, Turn = RecordingHandler.PoisonTurn }, Ct);
        await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = session, Turn = 2 }, Ct);

        (await bus.Recorder.WaitForAsync(1, Ct)).Cast<TurnRequested>().Single().Turn.ShouldBe(2);
        var failed = await bus.WaitForStatusAsync(session, "failed", Ct);
        failed.StatusReason.ShouldNotBeNull().ShouldContain($"parked in {Topics.DeadLetter(topic)}: poison message for the test");
        failed.LastSequence.ShouldBe(2);
    }

    private string NewTopic()
    {
        var topic = $"contract-{Guid.NewGuid():N}";
        CreateTopic(topic);
        return topic;
    }
}

public sealed class InMemoryEventBusContractTests : EventBusContractTests
{
    protected override IDictionary<string, string?> BusSettings { get; } = new Dictionary<string, string?>();

    protected override void CreateTopic(string topic)
    {
    }
}

[Collection(KafkaCollection.Name)]
public sealed class KafkaEventBusContractTests(KafkaMockCluster kafka) : EventBusContractTests
{
    protected override IDictionary<string, string?> BusSettings => new Dictionary<string, string?>
    {
        ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
        ["SomaAgent:Kafka:FetchWaitMaxMs"] = "10",
    };

    protected override void CreateTopic(string topic) => kafka.CreateTopic(topic, 6, 3);

    [Fact]
    public async Task Every_instance_reads_every_message_published_after_it_started_and_none_from_before()
    {
        var topic = $"contract-{Guid.NewGuid():N}";
        CreateTopic(topic);
        await using var early = await BusHost.StartAsync(BusSettings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, "readers", BusDelivery.EveryInstance));
        var before = new TurnRequested { SessionId = Guid.NewGuid(), Turn = 0 };
        await early.Bus.PublishAsync(topic, before, Ct);
        await early.Recorder.WaitForAsync(1, Ct);

        await using var late = await BusHost.StartAsync(BusSettings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, "readers", BusDelivery.EveryInstance));
        var after = Enumerable.Range(1, 30).Select(i => new TurnRequested { SessionId = Guid.NewGuid(), Turn = i }).ToList();
        foreach (var message in after)
        {
            await late.Bus.PublishAsync(topic, message, Ct);
        }

        (await early.Recorder.WaitForAsync(31, Ct)).Select(m => m.MessageId).ShouldBe(after.Prepend(before).Select(m => m.MessageId), ignoreOrder: true);
        (await late.Recorder.WaitForAsync(30, Ct)).Select(m => m.MessageId).ShouldBe(after.Select(m => m.MessageId), ignoreOrder: true);
    }

    [Fact]
    public async Task Instances_of_a_shared_group_handle_each_message_once_between_them()
    {
        var topic = $"contract-{Guid.NewGuid():N}";
        CreateTopic(topic);
        var settings = new Dictionary<string, string?>(BusSettings) { ["SomaAgent:Kafka:GroupPrefix"] = $"{Guid.NewGuid():N}." };
        await using var one = await BusHost.StartAsync(settings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, "workers"));
        await using var two = await BusHost.StartAsync(settings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, "workers"));
        var sent = Enumerable.Range(0, 60).Select(i => new TurnRequested { SessionId = Guid.NewGuid(), Turn = i }).ToList();

        foreach (var message in sent)
        {
            await one.Bus.PublishAsync(topic, message, Ct);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (one.Recorder.Count + two.Recorder.Count < sent.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, Ct);
        }
        await Task.Delay(500, Ct);
        one.Recorder.Received.Concat(two.Recorder.Received).Select(m => m.MessageId).ShouldBe(sent.Select(m => m.MessageId), ignoreOrder: true);
    }

    [Fact]
    public async Task A_message_its_handler_keeps_failing_on_is_parked_in_the_dead_letter_topic_and_the_rest_go_on()
    {
        var topic = $"contract-{Guid.NewGuid():N}";
        CreateTopic(topic);
        CreateTopic(Topics.DeadLetter(topic));
        await using var bus = await BusHost.StartAsync(BusSettings, b => b.AddSubscription<TurnRequested, RecordingHandler>(topic, topic + "-workers"));
        var session = Guid.NewGuid();

        await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = session, Turn = RecordingHandler.PoisonTurn }, Ct);
        await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = session, Turn = 2 }, Ct);

        var received = await bus.Recorder.WaitForAsync(1, Ct);
        received.Cast<TurnRequested>().Single().Turn.ShouldBe(2);
        var parked = kafka.ReadFromStart(Topics.DeadLetter(topic), TimeSpan.FromSeconds(15)).ShouldHaveSingleItem();
        parked.Message.Key.ShouldBe(session.ToString());
        parked.Message.Headers.TryGetLastBytes(KafkaEventBus.ErrorHeader, out var error).ShouldBeTrue();
        System.Text.Encoding.UTF8.GetString(error).ShouldContain("poison");
    }
}

/// <summary>Records the cancels a subscription received.</summary>
public sealed class RecordingCancelHandler(Recorder recorder) : IBusMessageHandler<TurnCancelRequested>
{
    public Task HandleAsync(TurnCancelRequested message, CancellationToken cancellationToken)
    {
        recorder.Add(message);
        return Task.CompletedTask;
    }
}

/// <summary>Records what a subscription received (and fails on the poison turn, for the dead-letter test).</summary>
public sealed class RecordingHandler(Recorder recorder) : IBusMessageHandler<TurnRequested>
{
    public const int PoisonTurn = -1;

    public Task HandleAsync(TurnRequested message, CancellationToken cancellationToken)
    {
        if (message.Turn == PoisonTurn)
        {
            throw new InvalidOperationException("poison message for the test");
        }
        recorder.Add(message);
        return Task.CompletedTask;
    }
}

public sealed class Recorder
{
    private readonly ConcurrentQueue<BusMessage> _messages = new();

    public ConcurrentBag<ActivityTraceId> TraceIds { get; } = [];

    public int Count => _messages.Count;

    public IReadOnlyList<BusMessage> Received => [.. _messages];

    public void Add(BusMessage message)
    {
        if (Activity.Current is { } activity)
        {
            TraceIds.Add(activity.TraceId);
        }
        _messages.Enqueue(message);
    }

    public async Task<List<BusMessage>> WaitForAsync(int count, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (_messages.Count < count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, cancellationToken);
        }
        // A little longer, so a duplicate delivery would show.
        await Task.Delay(200, cancellationToken);
        _messages.Count.ShouldBe(count);
        return [.. _messages];
    }
}

/// <summary>A host with only the runtime's store and bus and the subscriptions a test declares.</summary>
public sealed class BusHost : IAsyncDisposable
{
    private readonly IHost _host;

    private BusHost(IHost host) => _host = host;

    public IEventBus Bus => _host.Services.GetRequiredService<IEventBus>();

    public IServiceProvider Services => _host.Services;

    public Recorder Recorder => _host.Services.GetRequiredService<Recorder>();

    /// <summary>Stores a session whose first turn is running, as a worker would have left it.</summary>
    public async Task<Guid> AddRunningSessionAsync(CancellationToken cancellationToken)
    {
        var factory = _host.Services.GetRequiredService<IDbContextFactory<SessionDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var session = new SessionRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = "default",
            CreatedBy = "test",
            Model = "soma-simulated-1",
            ToolsJson = "[]",
            MetadataJson = "{}",
            Status = "running",
            Turn = 1,
            CreatedAt = DateTime.UtcNow,
            UpdatedAt = DateTime.UtcNow,
        };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        return session.Id;
    }

    /// <summary>Polls the stored session until it has the status (10 s at most).</summary>
    public async Task<SessionRecord> WaitForStatusAsync(Guid id, string status, CancellationToken cancellationToken)
    {
        var factory = _host.Services.GetRequiredService<IDbContextFactory<SessionDbContext>>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var session = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == id, cancellationToken);
            if (session.Status == status || DateTime.UtcNow > deadline)
            {
                session.Status.ShouldBe(status);
                return session;
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    public static async Task<BusHost> StartAsync(IDictionary<string, string?> settings, Action<EventBusBuilder> subscribe, TimeProvider? time = null)
    {
        var builder = Host.CreateApplicationBuilder();
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }
        builder.Configuration.AddInMemoryCollection(settings);
        var folder = Directory.CreateTempSubdirectory("somaagent-bus-").FullName;
        builder.Configuration["ConnectionStrings:sqlite"] = $"Data Source={Path.Combine(folder, "bus.db")}";
        // Its own files (the audit log) in its folder, never in the user's data home.
        builder.Configuration["SomaAgent:DataDirectory"] = folder;
        builder.Services.AddSingleton<Recorder>();
        subscribe(builder.AddSomaAgentEngine().UseKafkaOrInMemoryBus(builder.Configuration));
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new BusHost(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
