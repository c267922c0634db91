using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SomaAgent.Tests.AppHost;

namespace SomaAgent.Tests.Telemetry;

/// <summary>The Grafana dashboards in <c>deploy/grafana/dashboards</c>: every PromQL query of their panels and variables.</summary>
public static partial class Dashboards
{
    public static string Folder { get; } = Path.Combine(AppModel.RepositoryRoot, "deploy", "grafana", "dashboards");

    /// <summary>Metrics Prometheus makes itself rather than scrapes.</summary>
    private static readonly HashSet<string> MadeByPrometheus = ["up"];

    private static readonly HashSet<string> Keywords =
    [
        "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan",
    ];

    /// <summary>Each query as (dashboard file, where in it, PromQL with Grafana's variables still in).</summary>
    public static IReadOnlyList<(string Dashboard, string Where, string Query)> Queries()
    {
        var queries = new List<(string, string, string)>();
        foreach (var file in Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal))
        {
            var board = JsonNode.Parse(File.ReadAllText(file))!;
            var name = Path.GetFileName(file);
            foreach (var panel in board["panels"]!.AsArray())
            {
                foreach (var target in panel!["targets"]!.AsArray())
                {
                    queries.Add((name, $"panel '{panel["title"]}'", target!["expr"]!.GetValue<string>()));
                }
            }
            foreach (var variable in board["templating"]!["list"]!.AsArray())
            {
                // label_values(metric, label) is Grafana's, not PromQL: its metric is what must exist.
                var definition = variable!["definition"]!.GetValue<string>();
                queries.Add((name, $"variable '{variable["name"]}'", LabelValues().Match(definition).Groups[1].Value));
            }
        }
        return queries;
    }

    /// <summary><paramref name="query"/> with Grafana's variables replaced by what Grafana would send.</summary>
    public static string AsPromQL(string query) =>
        query.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$__interval", "1m", StringComparison.Ordinal)
            .Replace("=~\"$route\"", "=~\".*\"", StringComparison.Ordinal).Replace("=~\"$topic\"", "=~\".*\"", StringComparison.Ordinal)
            .Replace("=~\"$tool\"", "=~\".*\"", StringComparison.Ordinal);

    /// <summary>The scraped metrics <paramref name="query"/> reads (not the ones Prometheus makes itself, such as <c>up</c>).</summary>
    public static IReadOnlySet<string> MetricsOf(string query)
    {
        var stripped = Quoted().Replace(query, "\"\"");
        stripped = Matchers().Replace(stripped, " ");
        stripped = Ranges().Replace(stripped, " ");
        stripped = Grouping().Replace(stripped, " ");
        return Identifier().Matches(stripped)
            .Where(m => !m.Groups["call"].Success)
            .Select(m => m.Groups["name"].Value)
            .Where(n => !Keywords.Contains(n) && !MadeByPrometheus.Contains(n))
            .ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex LabelValues();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w.])(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Identifier();
}
