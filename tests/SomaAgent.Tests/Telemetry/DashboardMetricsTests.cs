using System.Net;
using System.Net.Http.Json;
using Confluent.Kafka;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Gateway.Security;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Tests.Runtime.Scaling;

namespace SomaAgent.Tests.Telemetry;

/// <summary>
/// Every metric a dashboard panel reads is on a live <c>/metrics</c> after real traffic: a gateway running every role on
/// Kafka (librdkafka's mock cluster) gets turns with a tool call and a failing tool call, a wrong key, a missing scope,
/// a tenant over its rate limit, and an unreadable message that ends in a dead-letter topic.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class DashboardMetricsTests(KafkaMockCluster kafka)
{
    private const string LimitedTenant = "dashboards-limited";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_metric_a_panel_reads_is_exported_after_real_traffic()
    {
        await using var deployment = new KafkaDeployment(kafka, new Dictionary<string, string?>
        {
            ["SomaAgent:Gateway:HostWorkers"] = "true",
            [$"SomaAgent:RateLimits:Tenants:{LimitedTenant}:RequestsPerMinute"] = "2",
        });
        var gateway = deployment.AddGateway();
        await DriveTrafficAsync(gateway, deployment.BootstrapServers);
        var wanted = Dashboards.Queries().SelectMany(q => Dashboards.MetricsOf(q.Query)).ToHashSet(StringComparer.Ordinal);

        using var client = gateway.CreateAnonymousClient();
        var metrics = await PrometheusText.ScrapeUntilAsync(client, m => wanted.IsSubsetOf(m.Names), Ct, attempts: 100);
        var missing = wanted.Where(name => !metrics.Names.Contains(name)).ToList();

        wanted.Count.ShouldBeGreaterThan(15);
        missing.ShouldBeEmpty("metrics the dashboards read but /metrics does not export");
    }

    private static async Task DriveTrafficAsync(GatewayApp gateway, string bootstrapServers)
    {
        // Turns with a tool call: one answered, one the tool refuses (division by zero), both over Kafka.
        foreach (var input in new[] { "What is 6*7?", "call calculator {\"expression\":\"1/0\"}" })
        {
            var id = await gateway.CreateSessionAsync(new { input }, Ct);
            await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30));
        }
        using (var stranger = gateway.CreateClientWith("sk-not-a-key-of-this-gateway-0123456789abcdef"))
        {
            (await stranger.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        var reader = SecurityClient.SecretOf(await SecurityClient.CreateKeyAsync(gateway, GatewayApp.BootstrapKey, ["sessions:read"]));
        using (var readOnly = gateway.CreateClientWith(reader))
        {
            using var refused = await readOnly.PostAsJsonAsync("/v1/sessions", new { input = "hi" }, GatewayApp.Json, Ct);
            refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }
        using (var admin = gateway.CreateClient())
        {
            using var created = await admin.PostAsJsonAsync("/v1/tenants", new { id = LimitedTenant }, GatewayApp.Json, Ct);
            var key = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(GatewayApp.Json, Ct)).GetProperty("admin_key").GetProperty("secret").GetString();
            using var limited = gateway.CreateClientWith(key);
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 4; i++)
            {
                statuses.Add((await limited.GetAsync("/v1/sessions", Ct)).StatusCode);
            }
            statuses.ShouldContain(HttpStatusCode.TooManyRequests);
        }
        // A message no version can read: the conversation worker parks it in conversation.inbound.dead-letter.
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers }).Build();
        await producer.ProduceAsync(Topics.ConversationInbound, new Message<string, byte[]> { Key = Guid.NewGuid().ToString(), Value = "not json"u8.ToArray() }, Ct);
    }
}
