namespace SomaAgent.Bench.ToolCache;

/// <summary>
/// Collects the calls of one phase: latency by cache outcome (into arrays the plan's size bounds, so recording
/// allocates nothing), hits and misses per host, and errors with the first one kept.
/// </summary>
internal sealed class LookupRecorder(int capacity, int hosts)
{
    private readonly long[] _hitTicks = new long[capacity];
    private readonly long[] _missTicks = new long[capacity];
    private readonly long[] _hostHits = new long[hosts];
    private readonly long[] _hostMisses = new long[hosts];
    private int _hits;
    private int _misses;
    private int _unattributed;
    private int _errors;
    private string? _firstError;

    public int Hits => _hits;
    public int Misses => _misses;
    public int Calls => _hits + _misses + _unattributed;
    public int Unattributed => _unattributed;
    public int Errors => _errors;
    public string? FirstError => _firstError;

    public void Record(int host, bool? hit, long ticks, string? error)
    {
        if (error is not null)
        {
            Interlocked.Increment(ref _errors);
            Interlocked.CompareExchange(ref _firstError, error, null);
        }
        switch (hit)
        {
            case true:
                _hitTicks[Interlocked.Increment(ref _hits) - 1] = ticks;
                Interlocked.Increment(ref _hostHits[host]);
                break;
            case false:
                _missTicks[Interlocked.Increment(ref _misses) - 1] = ticks;
                Interlocked.Increment(ref _hostMisses[host]);
                break;
            default:
                // The executor reported no lookup: the cache is off for the tool, or the call failed before it.
                Interlocked.Increment(ref _unattributed);
                break;
        }
    }

    public LatencySummary HitLatency() => LatencySummary.Of(_hitTicks.AsSpan(0, _hits));

    public LatencySummary MissLatency() => LatencySummary.Of(_missTicks.AsSpan(0, _misses));

    public IReadOnlyList<HostLookups> PerHost() =>
        [.. Enumerable.Range(0, _hostHits.Length).Select(h => new HostLookups(h, _hostHits[h] + _hostMisses[h], _hostHits[h], _hostMisses[h]))];
}

/// <summary>Calls one worker host served, and how.</summary>
internal sealed record HostLookups(int Host, long Calls, long Hits, long Misses);
