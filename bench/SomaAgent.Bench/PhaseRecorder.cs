using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SomaAgent.Bench;

/// <summary>
/// Collects one phase's outcomes from all clients. Latencies go into preallocated arrays (the run budget
/// bounds them), so recording costs no allocation; errors are counted by kind with the first example kept.
/// </summary>
internal sealed class PhaseRecorder(int capacity)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly long[] _finishedAt = new long[capacity];
    private readonly long[] _create = new long[capacity];
    private readonly long[] _run = new long[capacity];
    private readonly long[] _streamLag = new long[capacity];
    private readonly ConcurrentDictionary<string, ErrorKind> _errors = new();
    private int _completed;
    private long _events;
    private int _cut;
    private int _errorCount;

    /// <summary>Runs completed and failed so far, for live progress.</summary>
    public (int Completed, int Errors) Progress => (Volatile.Read(ref _completed), Volatile.Read(ref _errorCount));

    public void Completed(long createTicks, long runTicks, int events, TimeSpan streamLag)
    {
        var slot = Interlocked.Increment(ref _completed) - 1;
        if (slot < capacity)
        {
            _finishedAt[slot] = Stopwatch.GetTimestamp() - _started;
            _create[slot] = createTicks;
            _run[slot] = runTicks;
            _streamLag[slot] = (long)(Math.Max(streamLag.TotalSeconds, 0) * Stopwatch.Frequency);
        }
        Interlocked.Add(ref _events, events);
    }

    public void CutByCap() => Interlocked.Increment(ref _cut);

    public void Error(string kind, string example)
    {
        const int MaxExample = 300;
        var entry = _errors.GetOrAdd(kind, static (_, first) => new ErrorKind(first.Length > MaxExample ? first[..MaxExample] + "…" : first), example);
        Interlocked.Increment(ref entry.Count);
        Interlocked.Increment(ref _errorCount);
    }

    public PhaseResult ToResult(TimeSpan elapsed, bool capReached)
    {
        var kept = Math.Min(_completed, capacity);
        // Before the summaries below sort the latencies in place and lose which run finished when.
        var timeline = Timeline(kept);
        return new PhaseResult(
            Completed: _completed,
            Events: _events,
            CutByCap: _cut,
            CapReached: capReached,
            Elapsed: elapsed,
            Create: LatencySummary.Of(_create.AsSpan(0, kept)),
            Run: LatencySummary.Of(_run.AsSpan(0, kept)),
            StreamLag: LatencySummary.Of(_streamLag.AsSpan(0, kept)),
            Timeline: timeline,
            Errors: _errors.OrderByDescending(e => e.Value.Count).Select(e => new ErrorCount(e.Key, e.Value.Count, e.Value.Example)).ToList());
    }

    /// <summary>Runs finished in each second of the phase, with their latency (the full run) at p50, p95 and max.</summary>
    private List<TimelinePoint> Timeline(int kept)
    {
        var bySecond = new SortedDictionary<int, List<long>>();
        for (var i = 0; i < kept; i++)
        {
            var second = (int)(_finishedAt[i] / Stopwatch.Frequency);
            if (!bySecond.TryGetValue(second, out var runs))
            {
                bySecond[second] = runs = [];
            }
            runs.Add(_run[i]);
        }
        return [.. bySecond.Select(s =>
        {
            var latency = LatencySummary.Of(CollectionsMarshal.AsSpan(s.Value));
            return new TimelinePoint(s.Key + 1, s.Value.Count, latency.P50, latency.P95, latency.Max);
        })];
    }

    private sealed class ErrorKind(string example)
    {
        public int Count;
        public string Example { get; } = example;
    }
}

/// <summary>What one phase measured.</summary>
internal sealed record PhaseResult(
    int Completed,
    long Events,
    int CutByCap,
    bool CapReached,
    TimeSpan Elapsed,
    LatencySummary Create,
    LatencySummary Run,
    LatencySummary StreamLag,
    IReadOnlyList<TimelinePoint> Timeline,
    IReadOnlyList<ErrorCount> Errors)
{
    public int ErrorTotal => Errors.Sum(e => e.Count);

    /// <summary>Runs that failed with the given error kind.</summary>
    public int ErrorsOf(string kind) => Errors.FirstOrDefault(e => e.Kind == kind)?.Count ?? 0;
}

/// <summary>How often one kind of failure happened, with the first example seen.</summary>
internal sealed record ErrorCount(string Kind, int Count, string Example);

/// <summary>Latency percentiles (nearest rank) and mean in milliseconds.</summary>
internal sealed record LatencySummary(double P50, double P95, double P99, double Max, double Mean)
{
    public static LatencySummary Of(Span<long> stopwatchTicks)
    {
        if (stopwatchTicks.IsEmpty)
        {
            return new LatencySummary(0, 0, 0, 0, 0);
        }
        stopwatchTicks.Sort();
        var sum = 0.0;
        foreach (var ticks in stopwatchTicks)
        {
            sum += ticks;
        }
        return new LatencySummary(
            Millis(Rank(stopwatchTicks, 0.50)),
            Millis(Rank(stopwatchTicks, 0.95)),
            Millis(Rank(stopwatchTicks, 0.99)),
            Millis(stopwatchTicks[^1]),
            Math.Round(sum / stopwatchTicks.Length * 1000.0 / Stopwatch.Frequency, 2));
    }

    private static long Rank(Span<long> sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Millis(long ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency, 2);
}

/// <summary>One second of a phase: runs that finished in it and their latency in milliseconds.</summary>
internal sealed record TimelinePoint(int Second, int Runs, double P50Ms, double P95Ms, double MaxMs);
