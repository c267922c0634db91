using System.Text;
using SomaAgent.Tests.AppHost;

namespace SomaAgent.Tests.Telemetry;

/// <summary>The dashboards' queries are valid PromQL: wrapped into a rules file, Grafana's variables substituted, for <c>promtool check rules</c>.</summary>
public sealed class DashboardQueriesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Every_dashboard_has_panels_with_queries()
    {
        var queries = Dashboards.Queries();

        queries.Select(q => q.Dashboard).Distinct().ShouldBe(["kafka.json", "overview.json", "security.json", "tools.json"]);
        queries.ShouldAllBe(q => q.Query.Length > 0);
        queries.SelectMany(q => Dashboards.MetricsOf(q.Query)).ShouldContain("kafka_consumer_lag");
        queries.SelectMany(q => Dashboards.MetricsOf(q.Query)).ShouldContain("gateway_latency_seconds_bucket");
        queries.SelectMany(q => Dashboards.MetricsOf(q.Query)).ShouldContain("tool_execution_time_seconds_bucket");
    }

    [Fact]
    public async Task Every_query_parses_as_PromQL()
    {
        var rules = new StringBuilder("groups:\n  - name: dashboards\n    rules:\n");
        var n = 0;
        foreach (var (dashboard, where, query) in Dashboards.Queries())
        {
            rules.Append("      # ").Append(dashboard).Append(' ').Append(where.Replace('\n', ' ')).Append('\n')
                .Append("      - record: dashboard:query_").Append(n++).Append('\n')
                .Append("        expr: '").Append(Dashboards.AsPromQL(query).Replace("'", "''", StringComparison.Ordinal)).Append("'\n");
        }
        var file = Path.Combine(Directory.CreateTempSubdirectory("somaagent-dashboards-").FullName, "dashboards.rules.yml");
        await File.WriteAllTextAsync(file, rules.ToString(), Ct);

        var (exitCode, output) = await AlertRulesTests.PromtoolAsync("check", "rules", file);

        exitCode.ShouldBe(0, output + "\n" + rules);
        output.ShouldContain($"SUCCESS: {n} rules found");
    }

    [Fact]
    public void A_query_reads_the_metrics_it_names_and_not_its_labels_or_functions()
    {
        Dashboards.MetricsOf("histogram_quantile(0.95, sum by (le, tool) (rate(tool_execution_time_seconds_bucket{tool=~\"$tool\"}[$__rate_interval])))")
            .ShouldBe(["tool_execution_time_seconds_bucket"]);
        Dashboards.MetricsOf("sum(rate(a_total{x=\"y\"}[5m])) / sum(rate(b_total[5m])) and up{job=~\"somaagent-.*\"}")
            .ShouldBe(["a_total", "b_total"], ignoreOrder: true);
    }
}
