using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Messaging;

/// <summary>The whole session pipeline with Kafka as the bus (librdkafka's mock cluster as the broker).</summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaGatewayTests(KafkaMockCluster kafka)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_session_runs_end_to_end_over_Kafka_and_streams_every_event()
    {
        CreateTopics();
        await using var app = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
            ["SomaAgent:Kafka:GroupPrefix"] = $"{Guid.NewGuid():N}.",
        });
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
        CreateTopics();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
            ["SomaAgent:Gateway:HostWorkers"] = "false",
            ["SomaAgent:Kafka:GroupPrefix"] = $"{Guid.NewGuid():N}.",
        };
        await using var gateway = new GatewayApp(settings: settings);
        _ = gateway.Server;
        using var worker = await StartWorkerAsync(gateway.DatabaseFile, settings["SomaAgent:Kafka:GroupPrefix"]!);

        var id = await gateway.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        var session = await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30));

        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString().ShouldBe("6*7 = 42.");
        await worker.StopAsync(Ct);
    }

    private void CreateTopics()
    {
        foreach (var topic in new[] { Topics.ConversationInbound, Topics.ToolRequests, Topics.ToolResults, Topics.SessionEvents })
        {
            kafka.EnsureTopic(topic, 6, 3);
        }
    }

    /// <summary>What the Workers service hosts: both roles over Kafka, on the gateway's store.</summary>
    private async Task<IHost> StartWorkerAsync(string databaseFile, string groupPrefix)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["SomaAgent:Kafka:GroupPrefix"] = groupPrefix;
        builder.Configuration["ConnectionStrings:kafka"] = kafka.BootstrapServers;
        builder.Configuration["ConnectionStrings:sqlite"] = $"Data Source={databaseFile}";
        builder.AddSomaAgentRuntime().AddConversationWorker().AddToolExecutor();
        var host = builder.Build();
        await host.StartAsync(Ct);
        return host;
    }
}
