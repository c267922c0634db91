using System.Diagnostics.Metrics;
using SomaAgent.Runtime;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>Sums one counter of the runtime's meter by its tags while it lives, as a metrics exporter would see it.</summary>
internal sealed class RuntimeCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(KeyValuePair<string, object?>[] Tags, long Value)> _measurements = [];

    public RuntimeCounter(string name)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RuntimeDiagnostics.Name && instrument.Name == name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (_measurements)
            {
                _measurements.Add((tags.ToArray(), value));
            }
        });
        _listener.Start();
    }

    /// <summary>The sum of the measurements that carry every one of <paramref name="tags"/>.</summary>
    public long Sum(params (string Key, string Value)[] tags)
    {
        lock (_measurements)
        {
            return _measurements
                .Where(m => tags.All(t => m.Tags.Any(tag => tag.Key == t.Key && tag.Value as string == t.Value)))
                .Sum(m => m.Value);
        }
    }

    public void Dispose() => _listener.Dispose();
}
