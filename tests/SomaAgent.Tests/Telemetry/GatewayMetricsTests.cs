using System.Net;
using System.Net.Http.Json;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Gateway.Security;

namespace SomaAgent.Tests.Telemetry;

/// <summary>
/// The gateway's <c>/metrics</c> after real traffic (the embedded topology: the gateway runs the turns too): the seed's
/// names as Prometheus shows them, what users see as labels, and no label that grows with traffic.
/// </summary>
public sealed partial class GatewayMetricsTests(GatewayMetricsTests.LimitedGateway gateway) : IClassFixture<GatewayMetricsTests.LimitedGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private GatewayApp App => gateway.App;

    [Fact]
    public async Task Api_latency_is_a_histogram_by_route_template_method_and_status_class()
    {
        using var client = App.CreateClient();
        var missing = Guid.NewGuid();
        using var notFound = await client.GetAsync($"/v1/sessions/{missing}", Ct);

        var metrics = await ScrapeUntilAsync(m => m.Sum("gateway_latency_seconds_count", "route=/v1/sessions/{id}", "status_class=4xx") > 0);

        notFound.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        metrics.Of("gateway_latency_seconds_bucket", "route=/v1/sessions/{id}", "method=GET", "status_class=4xx", "le=+Inf").ShouldNotBeEmpty();
        metrics.Sum("gateway_latency_seconds_sum", "route=/v1/sessions/{id}").ShouldBeGreaterThan(0);
        metrics.Text.ShouldNotContain(missing.ToString());
    }

    [Fact]
    public async Task Probes_scrapes_and_unknown_paths_add_no_series_of_their_own()
    {
        using var client = App.CreateClient();
        foreach (var path in new[] { "/health", "/alive", "/v1/no-such-route-" + Guid.NewGuid().ToString("N") })
        {
            (await client.GetAsync(path, Ct)).Dispose();
        }

        var metrics = await ScrapeUntilAsync(m => m.Sum("gateway_latency_seconds_count", "route=unmatched") > 0);

        var routes = metrics.Of("gateway_latency_seconds_count").Select(s => s.Labels["route"]).ToList();
        routes.ShouldAllBe(route => route == "unmatched" || route.StartsWith("/v1/"));
        routes.ShouldNotContain(route => route.Contains("no-such-route"));
    }

    [Fact]
    public async Task Refusals_are_counted_as_auth_failures_access_denials_and_rate_limit_rejections()
    {
        using (var stranger = App.CreateClientWith("sk-not-a-key-of-this-gateway-0123456789abcdef"))
        {
            (await stranger.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        var reader = SecurityClient.SecretOf(await SecurityClient.CreateKeyAsync(App, GatewayApp.BootstrapKey, ["sessions:read"]));
        using (var readOnly = App.CreateClientWith(reader))
        {
            using var refused = await readOnly.PostAsJsonAsync("/v1/sessions", new { input = "hi" }, GatewayApp.Json, Ct);
            refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }
        using (var limited = App.CreateClientWith(gateway.LimitedKey))
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i <= LimitedGateway.RequestsPerMinute; i++)
            {
                using var response = await limited.GetAsync("/v1/sessions", Ct);
                statuses.Add(response.StatusCode);
            }
            statuses.ShouldContain(HttpStatusCode.TooManyRequests);
        }

        var metrics = await ScrapeUntilAsync(m => m.Sum("somaagent_rate_limit_rejections_total") > 0);

        metrics.Sum("somaagent_auth_failures_total").ShouldBeGreaterThan(0);
        metrics.Sum("somaagent_access_denials_total", "event=scope_denied").ShouldBeGreaterThan(0);
        metrics.Sum("gateway_latency_seconds_count", "status_class=4xx", "route=/v1/sessions", "method=POST").ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_turn_with_a_tool_call_counts_the_tool_time_events_stored_messages_published_and_no_active_session_after()
    {
        var id = await App.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        await App.WaitForEndAsync(id, Ct);

        var metrics = await ScrapeUntilAsync(m => m.Sum("tool_execution_time_seconds_count") > 0 && m.Sum("somaagent_turns_ended_total") > 0);

        metrics.Of("tool_execution_time_seconds_bucket", "tool=calculator", "le=+Inf").ShouldNotBeEmpty();
        metrics.Names.ShouldNotContain("somaagent_tool_duration_seconds_bucket");
        metrics.Sum("somaagent_events_stored_total").ShouldBeGreaterThan(0);
        metrics.Sum("somaagent_messages_published_total").ShouldBeGreaterThan(0);
        metrics.Of("somaagent_sessions_active").ShouldNotBeEmpty();
        metrics.Sum("somaagent_turns_ended_total", "status=completed").ShouldBeGreaterThan(0);
        metrics.Text.ShouldNotContain(id.ToString());
    }

    [Fact]
    public async Task Every_SomaAgent_metric_the_gateway_exports_is_documented_in_operations_md()
    {
        var id = await App.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        await App.WaitForEndAsync(id, Ct);
        var documented = await File.ReadAllTextAsync(Path.Combine(AppHost.AppModel.RepositoryRoot, "docs", "operations.md"), Ct);

        var metrics = await ScrapeUntilAsync(m => m.Sum("somaagent_turns_ended_total") > 0);

        var ours = metrics.Names
            .Where(n => n.StartsWith("somaagent_", StringComparison.Ordinal) || n.StartsWith("gateway_", StringComparison.Ordinal)
                || n.StartsWith("tool_", StringComparison.Ordinal) || n.StartsWith("kafka_", StringComparison.Ordinal))
            .Select(n => HistogramSeries().Replace(n, ""))
            .Distinct()
            .ToList();
        ours.Count.ShouldBeGreaterThan(8);
        ours.Where(n => !documented.Contains($"`{n}`", StringComparison.Ordinal)).ShouldBeEmpty("metrics missing from docs/operations.md");
    }

    private async Task<PrometheusText> ScrapeUntilAsync(Func<PrometheusText, bool> ready)
    {
        using var client = App.CreateAnonymousClient();
        return await PrometheusText.ScrapeUntilAsync(client, ready, Ct);
    }

    /// <summary>A gateway where one tenant may make only a few requests a minute.</summary>
    public sealed class LimitedGateway : IAsyncLifetime
    {
        public const string Tenant = "metrics-limited";
        public const int RequestsPerMinute = 3;

        public GatewayApp App { get; } = new(settings: new Dictionary<string, string?>
        {
            [$"SomaAgent:RateLimits:Tenants:{Tenant}:RequestsPerMinute"] = RequestsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        public string LimitedKey { get; private set; } = "";

        public async ValueTask InitializeAsync()
        {
            using var admin = App.CreateClient();
            using var created = await admin.PostAsJsonAsync("/v1/tenants", new { id = Tenant }, GatewayApp.Json, Ct);
            created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
            LimitedKey = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(GatewayApp.Json, Ct))
                .GetProperty("admin_key").GetProperty("secret").GetString()!;
        }

        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    [System.Text.RegularExpressions.GeneratedRegex("_(bucket|sum|count)$")]
    private static partial System.Text.RegularExpressions.Regex HistogramSeries();
}
