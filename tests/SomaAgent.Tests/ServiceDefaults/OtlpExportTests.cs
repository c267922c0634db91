using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.ServiceDefaults;

/// <summary>
/// ServiceDefaults exports traces, metrics and logs over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// The receiver is a real one, the standalone Aspire dashboard, and what it received is read back from its API.
/// All OTel settings go in as configuration, exactly as the environment variables would, and the short export
/// intervals only take effect if the SDK reads them from there (the defaults are 5 s for spans and logs, 60 s
/// for metrics).
/// </summary>
public sealed class OtlpExportTests(AspireDashboardServer dashboard) : IClassFixture<AspireDashboardServer>
{
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_turn_arrives_as_one_trace_from_the_request_through_the_agent_to_the_tool()
    {
        var service = ServiceName();
        await using var app = StartGateway(service);

        var id = await app.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        (await app.WaitForEndAsync(id, Ct)).GetProperty("status").GetString().ShouldBe("completed");

        var trace = await WaitForAsync(async () =>
        {
            var spans = await dashboard.GetSpansAsync(service, Ct);
            var agent = spans.FirstOrDefault(s => s.Name == "invoke_agent soma-simulated-1" && Session(s) == id.ToString());
            var turn = agent is null ? [] : spans.Where(s => s.TraceId == agent.TraceId).ToList();
            return turn.Any(s => s.Name == "POST /v1/sessions") && turn.Any(s => s.Name == "execute_tool calculator") ? turn : null;
        }, "the turn's request, agent and tool spans");

        trace.Select(s => s.TraceId).Distinct().ShouldHaveSingleItem();
        trace.ShouldAllBe(s => s.Service == service);
        var request = trace.Single(s => s.Name == "POST /v1/sessions");
        request.Scope.ShouldBe("Microsoft.AspNetCore");
        request.ParentSpanId.ShouldBeNull();
        var tool = trace.Single(s => s.Name == "execute_tool calculator");
        Session(tool).ShouldBe(id.ToString());
        trace.Select(s => s.Name).ShouldContain("conversation.inbound publish");
        trace.Select(s => s.Name).ShouldContain("conversation.inbound receive");
    }

    [Fact]
    public async Task Logs_arrive_as_structured_records_of_the_service()
    {
        var service = ServiceName();
        await using var app = StartGateway(service);

        var id = await app.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        await app.WaitForEndAsync(id, Ct);

        var logs = await WaitForAsync(async () =>
        {
            var records = await dashboard.GetLogsAsync(service, Ct);
            return records.Count > 0 ? records : null;
        }, "a log record");

        logs.ShouldAllBe(r => r.Service == service);
        logs.ShouldContain(r => r.Body.Length > 0);
    }

    [Fact]
    public async Task Metrics_arrive_from_the_service()
    {
        var service = ServiceName();
        await using var app = StartGateway(service);

        var id = await app.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        await app.WaitForEndAsync(id, Ct);

        // Metrics are exported every 500 ms and spans in batches of their own, so either may land first: wait for
        // both to show on the service's one resource.
        var resource = await WaitForAsync(async () =>
            (await dashboard.GetResourcesAsync(Ct)).FirstOrDefault(r => r.Name == service && r.HasMetrics && r.HasTraces),
            "metrics beside the traces of the same service");

        resource.Name.ShouldBe(service);
    }

    /// <summary>A name per test, so each test reads back only its own gateway's telemetry.</summary>
    private static string ServiceName() => $"gateway-otlp-test-{Guid.NewGuid():N}"[..26];

    private GatewayApp StartGateway(string service)
    {
        var app = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = dashboard.OtlpHttpEndpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = service,
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        _ = app.Server;
        return app;
    }

    private static string? Session(OtlpSpan span) => span.Attributes.GetValueOrDefault("somaagent.session.id");

    /// <summary>Polls the dashboard until <paramref name="probe"/> finds what it looks for; export is asynchronous.</summary>
    private async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what) where T : class
    {
        var deadline = DateTime.UtcNow + ArrivalTimeout;
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"The dashboard did not receive {what} within {ArrivalTimeout.TotalSeconds} s.\n--- dashboard output ---\n{dashboard.Output}");
            }
            await Task.Delay(100, Ct);
        }
    }
}
