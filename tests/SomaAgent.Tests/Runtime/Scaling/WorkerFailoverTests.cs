using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Scaling;

/// <summary>
/// Gateways and workers as separate instances over Kafka: a turn survives its worker stopping, the broker
/// going away, and poison messages, and no client sees an event lost or twice.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class WorkerFailoverTests(KafkaMockCluster kafka)
{
    private const string LongInput = "a long answer please, with many many words in it";
    private static readonly Dictionary<string, string?> SlowModel = new() { ["SomaAgent:Models:Simulated:TimePerTokenMs"] = "40" };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_worker_stopped_mid_turn_hands_it_to_another_worker_that_finishes_it_with_every_event_once()
    {
        await using var deployment = new KafkaDeployment(kafka, SlowModel);
        var gateway = deployment.AddGateway();
        await deployment.StartWorkerAsync();
        await deployment.StartWorkerAsync();
        using var client = gateway.CreateClient();

        var id = await gateway.CreateSessionAsync(new { input = LongInput }, Ct);
        var streamed = ReadStreamAsync(client, id, after: 0);
        await gateway.WaitForOutputAsync(id, Ct);
        await deployment.StopWorkerAsync(await deployment.OwnerOfAsync(id, Ct));

        var session = await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30));
        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString().ShouldBe(await UninterruptedOutputAsync(gateway));
        var stored = session.GetProperty("events").EnumerateArray().ToList();
        stored.Select(e => e.GetProperty("sequence").GetInt64()).ShouldBe(Enumerable.Range(1, stored.Count).Select(i => (long)i));
        stored.Count(e => e.GetProperty("type").GetString() == "turn.resumed").ShouldBe(1);
        (await streamed).ShouldBe(Enumerable.Range(1, stored.Count).Select(i => (long)i));
    }

    [Fact]
    public async Task A_turn_survives_every_broker_going_down_and_coming_back_without_losing_an_event()
    {
        await using var deployment = new KafkaDeployment(kafka, SlowModel);
        var gateway = deployment.AddGateway();
        await deployment.StartWorkerAsync();
        using var client = gateway.CreateClient();

        var id = await gateway.CreateSessionAsync(new { input = "What is 12*(3+4)? " + LongInput }, Ct);
        var streamed = ReadStreamAsync(client, id, after: 0);
        await gateway.WaitForOutputAsync(id, Ct);
        try
        {
            foreach (var broker in KafkaMockCluster.BrokerIds)
            {
                kafka.SetBrokerDown(broker);
            }
            await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        }
        finally
        {
            foreach (var broker in KafkaMockCluster.BrokerIds)
            {
                kafka.SetBrokerUp(broker);
            }
        }

        var session = await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(60));
        session.GetProperty("status").GetString().ShouldBe("completed");
        var count = session.GetProperty("events").GetArrayLength();
        (await streamed).ShouldBe(Enumerable.Range(1, count).Select(i => (long)i));
    }

    [Fact]
    public async Task A_poison_message_is_parked_in_the_dead_letter_topic_and_its_session_fails_with_the_reason()
    {
        await using var deployment = new KafkaDeployment(kafka, SlowModel);
        var gateway = deployment.AddGateway();
        await deployment.StartWorkerAsync();
        using var client = gateway.CreateClient();
        var id = await gateway.CreateSessionAsync(new { input = LongInput }, Ct);
        await gateway.WaitForOutputAsync(id, Ct);

        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = deployment.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(Topics.ConversationInbound, new Message<string, byte[]> { Key = id.ToString(), Value = "{not a bus message"u8.ToArray() }, Ct);
        }

        var session = await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30));
        session.GetProperty("status").GetString().ShouldBe("failed");
        session.GetProperty("status_reason").GetString()!.ShouldContain($"parked in {Topics.DeadLetter(Topics.ConversationInbound)}");
        var events = session.GetProperty("events").EnumerateArray().ToList();
        events.Select(e => e.GetProperty("sequence").GetInt64()).ShouldBe(Enumerable.Range(1, events.Count).Select(i => (long)i));
        events.ShouldContain(e => e.GetProperty("type").GetString() == "error" && e.GetProperty("data").GetProperty("code").GetString() == "dead_letter");
        // The worker that ran the turn is fenced off: nothing it wrote lands after the failure.
        await Task.Delay(500, Ct);
        var after = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", Ct);
        after.GetProperty("events").GetArrayLength().ShouldBe(events.Count);
        kafka.ReadFromStart(Topics.DeadLetter(Topics.ConversationInbound), TimeSpan.FromSeconds(10))
            .Select(m => m.Message.Key).ShouldContain(id.ToString());
    }

    private static async Task<List<long>> ReadStreamAsync(HttpClient client, Guid id, long after)
    {
        using var response = await client.GetAsync($"/v1/sessions/{id}/events?after={after}", HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = await SseReader.ReadAllAsync(await response.Content.ReadAsStreamAsync(Ct), Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        return [.. events.Select(e => long.Parse(e.Id!, CultureInfo.InvariantCulture))];
    }

    /// <summary>What the deterministic model answers when nothing interrupts it.</summary>
    private static async Task<string?> UninterruptedOutputAsync(GatewayApp gateway)
    {
        var id = await gateway.CreateSessionAsync(new { input = LongInput }, Ct);
        var session = await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30));
        return session.GetProperty("output").GetString();
    }
}
