using System.Diagnostics.Metrics;
using SomaAgent.Runtime;

namespace SomaAgent.Bench.ToolCache;

/// <summary>What the cache said about one call: null until the executor reports its lookup.</summary>
internal sealed class CallLookup
{
    public bool? Hit { get; set; }
}

/// <summary>
/// Reads the executor's own <c>somaagent.tool.cache.lookups</c> counter (hit: served from the cache; miss: the
/// tool ran), so the bench counts what production exports instead of instrumenting the tool. The counter is
/// recorded synchronously inside <c>ExecuteAsync</c>, so an <see cref="AsyncLocal{T}"/> set by the caller
/// attributes each measurement to its call, and with it to a host and a latency.
/// </summary>
internal sealed class CacheLookupProbe : IDisposable
{
    private readonly AsyncLocal<CallLookup?> _current = new();
    private readonly MeterListener _listener = new();
    private long _hits;
    private long _misses;

    public CacheLookupProbe()
    {
        // Read before Start: if the runtime's diagnostics type were first touched inside the callback, its static
        // initializer would publish the instrument while the property is still null, and nothing would match.
        var lookups = RuntimeDiagnostics.ToolCacheLookups;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument, lookups))
            {
                listener.EnableMeasurementEvents(instrument, state: null);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Lookups counted by the metric across all calls (a cross-check of the per-call attribution).</summary>
    public (long Hits, long Misses) Totals => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    /// <summary>Starts attributing lookups on the current async flow to a new call.</summary>
    public CallLookup Begin()
    {
        var lookup = new CallLookup();
        _current.Value = lookup;
        return lookup;
    }

    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        bool? hit = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "result")
            {
                hit = tag.Value as string == "hit";
            }
        }
        if (hit is not { } isHit)
        {
            return;
        }
        Interlocked.Add(ref isHit ? ref _hits : ref _misses, value);
        if (_current.Value is { } call)
        {
            call.Hit = isHit;
        }
    }
}
