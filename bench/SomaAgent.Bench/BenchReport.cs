using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Bench;

/// <summary>
/// The files of <c>--report DIR</c>: the result as JSON, and a Markdown report with the numbers, the command and a
/// latency-over-time chart (a Mermaid <c>xychart-beta</c>, which GitHub renders; p50 and p95 of the runs that
/// finished in each second, and the runs per second).
/// </summary>
internal static class BenchReport
{
    public const string JsonFile = "bench-result.json";
    public const string MarkdownFile = "bench-report.md";

    public static async Task WriteAsync(string directory, BenchResult result, IReadOnlyList<string> args)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, JsonFile), JsonSerializer.Serialize(result, BenchJsonContext.Default.BenchResult));
        await File.WriteAllTextAsync(Path.Combine(directory, MarkdownFile), ToMarkdown(result, args));
    }

    public static string ToMarkdown(BenchResult result, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"# SomaAgent bench: {result.Scenario}, {result.Store}, {result.Arrival}");
        text.AppendLine();
        text.AppendLine(c, $"`eng/bench.sh {string.Join(' ', args)}` on {result.Cores} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        text.AppendLine();
        text.AppendLine("```");
        text.Append(result.ToTable());
        text.AppendLine("```");
        text.AppendLine();
        if (result.Timeline.Count > 0)
        {
            var seconds = string.Join(", ", result.Timeline.Select(p => p.Second.ToString(c)));
            var top = Math.Max(1, Math.Ceiling(result.Timeline.Max(p => p.P95Ms) * 1.1));
            text.AppendLine("## Latency over time (ms, runs finished in each second)");
            text.AppendLine();
            text.AppendLine("```mermaid");
            text.AppendLine("xychart-beta");
            text.AppendLine("    title \"p50 (lower line) and p95 latency per second\"");
            text.AppendLine(c, $"    x-axis \"second of the measured phase\" [{seconds}]");
            text.AppendLine(c, $"    y-axis \"ms\" 0 --> {top}");
            text.AppendLine(c, $"    line [{string.Join(", ", result.Timeline.Select(p => p.P50Ms.ToString("0.#", c)))}]");
            text.AppendLine(c, $"    line [{string.Join(", ", result.Timeline.Select(p => p.P95Ms.ToString("0.#", c)))}]");
            text.AppendLine("```");
            text.AppendLine();
            text.AppendLine("| second | runs | p50 ms | p95 ms | max ms |");
            text.AppendLine("|---:|---:|---:|---:|---:|");
            foreach (var point in result.Timeline)
            {
                text.AppendLine(c, $"| {point.Second} | {point.Runs} | {point.P50Ms:0.#} | {point.P95Ms:0.#} | {point.MaxMs:0.#} |");
            }
        }
        return text.ToString();
    }
}
