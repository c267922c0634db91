using System.Globalization;
using System.Text.RegularExpressions;

namespace SomaAgent.Tests.Telemetry;

/// <summary>
/// A scrape of <c>/metrics</c> in the Prometheus text format, read as Prometheus reads it: samples by metric name and
/// labels. Lets a test ask for one series' value instead of searching the text.
/// </summary>
public sealed partial class PrometheusText
{
    private readonly List<Sample> _samples = [];

    public PrometheusText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                continue;
            }
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
            _samples.Add(new Sample(match.Groups["name"].Value, labels,
                double.Parse(match.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
    }

    public string Text { get; }

    /// <summary>
    /// Scrapes <c>/metrics</c> through <paramref name="client"/> until <paramref name="ready"/> holds (the exporter caches a
    /// scrape briefly, and work ends after its answer), 100 ms apart, at most <paramref name="attempts"/> times; returns
    /// the last scrape either way, for the test's own assertions to explain.
    /// </summary>
    public static async Task<PrometheusText> ScrapeUntilAsync(HttpClient client, Func<PrometheusText, bool> ready,
        CancellationToken cancellationToken, int attempts = 50)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(ready);
        var metrics = new PrometheusText(await client.GetStringAsync("/metrics", cancellationToken));
        for (var attempt = 1; attempt < attempts && !ready(metrics); attempt++)
        {
            await Task.Delay(100, cancellationToken);
            metrics = new PrometheusText(await client.GetStringAsync("/metrics", cancellationToken));
        }
        return metrics;
    }

    /// <summary>Every metric name that has at least one sample.</summary>
    public IReadOnlySet<string> Names => _samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/> (<c>"key=value"</c>).</summary>
    public IReadOnlyList<Sample> Of(string name, params string[] labels)
    {
        var wanted = labels.Select(l => l.Split('=', 2)).ToList();
        return [.. _samples.Where(s => s.Name == name && wanted.All(w => s.Labels.TryGetValue(w[0], out var v) && v == w[1]))];
    }

    /// <summary>The sum of the matching samples' values (0 when none matches).</summary>
    public double Sum(string name, params string[] labels) => Of(name, labels).Sum(s => s.Value);

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>[^\s]+)(\s+\d+)?\s*$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();
}
