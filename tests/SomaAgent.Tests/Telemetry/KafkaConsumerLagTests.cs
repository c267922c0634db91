using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Tests.Runtime.Messaging;
using SomaAgent.Tests.Runtime.Scaling;

namespace SomaAgent.Tests.Telemetry;

/// <summary>
/// <c>kafka_consumer_lag</c> over the Kafka protocol (librdkafka's mock cluster): a consumer that falls behind shows how
/// far, by group, topic and partition, and catches up to zero.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaConsumerLagTests(KafkaMockCluster kafka)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_consumer_stuck_in_its_handler_shows_its_lag_growing_then_back_to_zero()
    {
        var topic = $"lag-{Guid.NewGuid():N}";
        var group = topic + "-workers";
        kafka.CreateTopic(topic, 6, 3);
        var gate = new Gate();
        await using var bus = await BusHost.StartAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:kafka"] = kafka.BootstrapServers, ["SomaAgent:Kafka:FetchWaitMaxMs"] = "10" },
            b => b.AddSubscription<TurnRequested, GatedHandler>(topic, group).Services.AddSingleton(gate));
        using var lag = new LagReader();
        var session = Guid.NewGuid();

        for (var turn = 0; turn < 6; turn++)
        {
            await bus.Bus.PublishAsync(topic, new TurnRequested { SessionId = session, Turn = turn }, Ct);
        }
        var behind = await lag.WaitForAsync(group, topic, l => l == 5);
        gate.Open();
        var caughtUp = await lag.WaitForAsync(group, topic, l => l == 0);

        behind.ShouldBe(5, "one message in the handler, five waiting behind it");
        caughtUp.ShouldBe(0);
    }

    [Fact]
    public async Task The_gateway_s_metrics_show_the_lag_of_each_of_its_groups_under_the_seed_s_name()
    {
        await using var deployment = new KafkaDeployment(kafka, new Dictionary<string, string?> { ["SomaAgent:Gateway:HostWorkers"] = "true" });
        var gateway = deployment.AddGateway();
        var id = await gateway.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30));
        using var client = gateway.CreateAnonymousClient();

        var metrics = await PrometheusText.ScrapeUntilAsync(client, m => m.Of("kafka_consumer_lag", "topic=conversation.inbound").Count > 0, Ct);

        var samples = metrics.Of("kafka_consumer_lag");
        samples.ShouldNotBeEmpty();
        samples.ShouldAllBe(s => s.Labels.ContainsKey("group") && s.Labels.ContainsKey("partition") && s.Value >= 0);
        metrics.Of("kafka_consumer_lag", "topic=conversation.inbound").ShouldNotBeEmpty();
    }

    /// <summary>Holds every message in the handler until the test opens it.</summary>
    public sealed class Gate
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        public Task WaitAsync(CancellationToken cancellationToken) => _open.Task.WaitAsync(cancellationToken);
    }

    public sealed class GatedHandler(Gate gate) : IBusMessageHandler<TurnRequested>
    {
        public Task HandleAsync(TurnRequested message, CancellationToken cancellationToken) => gate.WaitAsync(cancellationToken);
    }

    /// <summary>Reads the lag gauge as an exporter would: on demand, every partition's latest value.</summary>
    private sealed class LagReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string Group, string Topic, int Partition), long> _lags = new();

        public LagReader()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument is { Meter.Name: "SomaAgent.Messaging.Kafka", Name: "kafka.consumer.lag" })
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? group = null, topic = null;
                var partition = -1;
                foreach (var tag in tags)
                {
                    switch (tag.Key)
                    {
                        case "group": group = (string?)tag.Value; break;
                        case "topic": topic = (string?)tag.Value; break;
                        case "partition": partition = (int)tag.Value!; break;
                    }
                }
                _lags[(group!, topic!, partition)] = value;
            });
            _listener.Start();
        }

        /// <summary>The group's total lag on the topic once it satisfies <paramref name="condition"/> (or after 15 s, whatever it is).</summary>
        public async Task<long> WaitForAsync(string group, string topic, Func<long, bool> condition)
        {
            long total = -1;
            for (var attempt = 0; attempt < 150; attempt++)
            {
                _lags.Clear();
                _listener.RecordObservableInstruments();
                var partitions = _lags.Where(l => l.Key.Group == group && l.Key.Topic == topic).ToList();
                total = partitions.Count == 0 ? -1 : partitions.Sum(l => l.Value);
                if (partitions.Count > 0 && condition(total))
                {
                    return total;
                }
                await Task.Delay(100, Ct);
            }
            return total;
        }

        public void Dispose() => _listener.Dispose();
    }
}
