using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Engine.Tools;
using SomaAgent.Tests.AppHost;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Workers;

namespace SomaAgent.Tests.Telemetry;

/// <summary>
/// The production shape under a real Prometheus: a gateway and a Workers service (conversation worker and tool
/// executor) on the Kafka protocol (librdkafka's mock cluster), each on its own loopback port and scraped as its own
/// job. After a turn through Kafka, a tool that always fails in the Workers service opens its breaker and
/// <c>ToolCircuitOpen</c> goes pending; both jobs are up and the workers report their consumer lag. Both services run in
/// this test process, whose instruments are process-wide: each job shows them all, and only this test's tool is judged.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class WorkersOnLiveMetricsTests(KafkaMockCluster kafka)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_failing_tool_in_the_workers_service_makes_its_alert_pending_while_both_jobs_are_up()
    {
        kafka.EnsureSomaAgentTopics();
        var folder = Directory.CreateTempSubdirectory("somaagent-live-").FullName;
        var database = Path.Combine(folder, "somaagent.db");
        var shared = new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
            ["SomaAgent:Kafka:GroupPrefix"] = $"{Guid.NewGuid():N}.",
            ["SomaAgent:Kafka:FetchWaitMaxMs"] = "10",
        };
        var down = new BrokenTool();
        var gatewayPort = RedisServer.FreeLoopbackPort();
        await using var gateway = new GatewayApp(database, settings: new Dictionary<string, string?>(shared)
        {
            ["SomaAgent:Gateway:HostWorkers"] = "false",
            ["urls"] = $"http://127.0.0.1:{gatewayPort}",
        });
        gateway.UseKestrel();
        gateway.StartServer();
        var workersPort = RedisServer.FreeLoopbackPort();
        await using var workers = new WebApplicationFactory<WorkersEntryPoint>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            foreach (var (key, value) in shared)
            {
                web.UseSetting(key, value);
            }
            web.UseSetting("ConnectionStrings:sqlite", $"Data Source={database}");
            web.UseSetting("SomaAgent:Audit:Path", Path.Combine(folder, "workers-audit.jsonl"));
            web.UseSetting("urls", $"http://127.0.0.1:{workersPort}");
            foreach (var (key, value) in BrokenTool.BreakerSettings)
            {
                web.UseSetting(key, value);
            }
            web.ConfigureTestServices(services => services.AddSingleton(down.Scripted.Tool));
        });
        workers.UseKestrel();
        workers.StartServer();
        await using var prometheus = await PrometheusServer.StartAsync(
            [("somaagent-gateway", $"127.0.0.1:{gatewayPort}"), ("somaagent-workers", $"127.0.0.1:{workersPort}")],
            [Path.Combine(AppModel.RepositoryRoot, "deploy", "prometheus", "alerts.yml")], Ct);

        // A turn through Kafka: the gateway queues it, the Workers service answers with the calculator.
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}/") };
        client.DefaultRequestHeaders.Authorization = new("Bearer", GatewayApp.BootstrapKey);
        using (var created = await client.PostAsJsonAsync("/v1/sessions", new { input = "What is 6*7?" }, GatewayApp.Json, Ct))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
            (await gateway.WaitForEndAsync(id, Ct)).GetProperty("output").GetString().ShouldBe("6*7 = 42.");
        }
        // The induced failure, in the Workers service's tool executor.
        await down.OpenCircuitAsync(workers.Services.GetRequiredService<ToolExecutor>(), Ct);

        var pending = await prometheus.WaitForToolAlertAsync("ToolCircuitOpen", down.Name, Ct);
        // Each job's first scrape comes on its own schedule: wait for both.
        var up = await prometheus.QueryUntilAsync("up == 1", result => result.GetArrayLength() == 2, Ct);
        var breaker = await prometheus.QueryUntilAsync($"somaagent_tool_circuit_state{{job=\"somaagent-workers\",tool=\"{down.Name}\"}} == 1",
            result => result.GetArrayLength() == 1, Ct);
        var lag = await prometheus.QueryUntilAsync("count by (group) (kafka_consumer_lag{job=\"somaagent-workers\"})", result => result.GetArrayLength() > 0, Ct);
        var alerts = await prometheus.AlertsAsync(Ct);

        pending.GetProperty("state").GetString().ShouldBe("pending", "for: 1m has not passed yet");
        up.EnumerateArray().Select(s => PrometheusServer.Label(s, "job")).ShouldBe(["somaagent-gateway", "somaagent-workers"], ignoreOrder: true);
        breaker.GetArrayLength().ShouldBe(1);
        lag.EnumerateArray().Select(s => PrometheusServer.Label(s, "group")).ShouldContain(g => g!.Contains("tool-executor", StringComparison.Ordinal));
        alerts.ShouldNotContain(a => PrometheusServer.Label(a, "alertname") == "ServiceDown");
    }
}
