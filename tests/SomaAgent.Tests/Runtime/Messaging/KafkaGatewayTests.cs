using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Tests.Runtime.Scaling;

namespace SomaAgent.Tests.Runtime.Messaging;

/// <summary>The whole session pipeline with Kafka as the bus (librdkafka's mock cluster as the broker).</summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaGatewayTests(KafkaMockCluster kafka)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_session_runs_end_to_end_over_Kafka_and_streams_every_event()
    {
        // One process with every role, as a single gateway with Kafka runs by default.
        await using var deployment = new KafkaDeployment(kafka, new Dictionary<string, string?> { ["SomaAgent:Gateway:HostWorkers"] = "true" });
        var app = deployment.AddGateway();
        using var client = app.CreateClient();

        var id = await app.CreateSessionAsync(new { input = "What is 12*(3+4)?" }, Ct);
        using var stream = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = await SseReader.ReadAllAsync(await stream.Content.ReadAsStreamAsync(Ct), Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        var session = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", Ct);
        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString()!.ShouldContain("84");
        events.Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture))
            .ShouldBe(Enumerable.Range(1, session.GetProperty("events").GetArrayLength()).Select(i => (long)i));
    }

    [Fact]
    public async Task A_separate_worker_process_runs_the_turns_the_gateway_only_queues()
    {
        await using var deployment = new KafkaDeployment(kafka);
        var gateway = deployment.AddGateway();
        await deployment.StartWorkerAsync();

        var id = await gateway.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        var session = await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30));

        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString().ShouldBe("6*7 = 42.");
    }
}
