using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Engine.Tools;
using SomaAgent.Tests.AppHost;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Telemetry;

/// <summary>
/// The alert rules evaluated by a real Prometheus on real data: it scrapes a gateway (hosting the workers, as the embedded
/// topology runs) over loopback after real traffic, and a tool that always fails opens its breaker, which makes
/// <c>ToolCircuitOpen</c> pending for it while the gateway is seen up.
/// </summary>
public sealed class AlertsOnLiveMetricsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_tool_that_always_fails_makes_its_alert_pending_on_the_live_metrics()
    {
        var down = new BrokenTool();
        var port = RedisServer.FreeLoopbackPort();
        await using var app = new GatewayApp(settings: new Dictionary<string, string?>(BrokenTool.BreakerSettings)
        {
            // A real socket on loopback for Prometheus to scrape (the gateway's own default would be *:8010).
            ["urls"] = $"http://127.0.0.1:{port}",
        });
        await using var gateway = app.WithWebHostBuilder(web => web.ConfigureTestServices(services => services.AddSingleton(down.Scripted.Tool)));
        gateway.UseKestrel();
        gateway.StartServer();
        await using var prometheus = await PrometheusServer.StartAsync(
            [("somaagent-gateway", $"127.0.0.1:{port}")],
            [Path.Combine(AppModel.RepositoryRoot, "deploy", "prometheus", "alerts.yml")], Ct);

        // Real traffic: a turn with a tool call, a session that is not there, a wrong key.
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        client.DefaultRequestHeaders.Authorization = new("Bearer", GatewayApp.BootstrapKey);
        using (var created = await client.PostAsJsonAsync("/v1/sessions", new { input = "What is 6*7?" }, GatewayApp.Json, Ct))
        {
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        (await client.GetAsync($"/v1/sessions/{Guid.NewGuid()}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using (var stranger = new HttpClient { BaseAddress = client.BaseAddress })
        {
            stranger.DefaultRequestHeaders.Authorization = new("Bearer", "sk-not-a-key-of-this-gateway-0123456789abcdef");
            (await stranger.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        // The induced failure: this gateway's tool executor runs the failing tool until its breaker opens.
        await down.OpenCircuitAsync(gateway.Services.GetRequiredService<ToolExecutor>(), Ct);

        var pending = await prometheus.WaitForToolAlertAsync("ToolCircuitOpen", down.Name, Ct);
        var up = await prometheus.QueryAsync("up{job=\"somaagent-gateway\"}", Ct);
        var requests = await prometheus.QueryAsync("sum by (status_class) (gateway_latency_seconds_count)", Ct);
        var alerts = await prometheus.AlertsAsync(Ct);

        pending.GetProperty("state").GetString().ShouldBe("pending", "for: 1m has not passed yet");
        up.EnumerateArray().Single().GetProperty("value")[1].GetString().ShouldBe("1");
        // The instruments are the test process's, shared by every gateway in it: only what this test caused is its to judge.
        requests.EnumerateArray().Select(r => PrometheusServer.Label(r, "status_class")).ShouldContain("2xx");
        requests.EnumerateArray().Select(r => PrometheusServer.Label(r, "status_class")).ShouldContain("4xx");
        alerts.ShouldNotContain(a => PrometheusServer.Label(a, "alertname") == "ServiceDown");
        alerts.Where(a => PrometheusServer.Label(a, "tool") == down.Name).Select(a => PrometheusServer.Label(a, "alertname")).ShouldBe(["ToolCircuitOpen"]);
    }
}
