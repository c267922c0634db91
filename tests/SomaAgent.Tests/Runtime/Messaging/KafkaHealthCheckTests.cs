using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Messaging;

/// <summary>The Kafka bus's health check, part of a service's readiness (/health), against librdkafka's mock cluster.</summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaHealthCheckTests(KafkaMockCluster kafka)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Is_healthy_while_the_brokers_answer()
    {
        await using var host = await BusHost.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:kafka"] = kafka.BootstrapServers }, _ => { });

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == "kafka", Ct);

        report.Entries["kafka"].Status.ShouldBe(HealthStatus.Healthy, report.Entries["kafka"].Description);
        report.Entries["kafka"].Description.ShouldBe($"{KafkaMockCluster.BrokerIds.Count} Kafka broker(s) answer.");
        report.Entries["kafka"].Tags.ShouldContain("ready");
    }

    [Fact]
    public async Task Is_unhealthy_when_no_broker_answers()
    {
        var nothing = $"127.0.0.1:{RedisServer.FreeLoopbackPort()}";
        await using var host = await BusHost.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = nothing,
            ["SomaAgent:Kafka:AdminTimeoutSeconds"] = "1",
        }, _ => { });

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(c => c.Name == "kafka", Ct);

        report.Entries["kafka"].Status.ShouldBe(HealthStatus.Unhealthy);
        report.Entries["kafka"].Description.ShouldNotBeNull().ShouldStartWith("The Kafka brokers do not answer");
    }
}
