using System.Collections.Concurrent;
using System.Diagnostics;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// Records every span of SomaAgent's sources and ASP.NET Core that ends while it listens, as an exporter would
/// see them, so tests can assert on trace ids and parent links.
/// </summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ConcurrentBag<Activity> _stopped = [];
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("SomaAgent", StringComparison.Ordinal) || source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Add,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyCollection<Activity> Stopped => _stopped;

    public static string? Tag(Activity activity, string name)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return activity.GetTagItem(name)?.ToString();
    }

    /// <summary>The first ended span that matches, waiting up to 5 s for it to end.</summary>
    public async Task<Activity> WaitForAsync(Func<Activity, bool> match, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 250; i++)
        {
            if (_stopped.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            await Task.Delay(20, cancellationToken);
        }
        throw new TimeoutException("The expected span never ended.");
    }

    /// <summary>True when <paramref name="ancestor"/> is on the span's chain of recorded parents.</summary>
    public bool HasAncestor(Activity span, Activity ancestor)
    {
        ArgumentNullException.ThrowIfNull(span);
        ArgumentNullException.ThrowIfNull(ancestor);
        var bySpan = _stopped.Where(a => a.TraceId == span.TraceId).GroupBy(a => a.SpanId).ToDictionary(g => g.Key, g => g.First());
        for (var current = span; bySpan.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            if (parent.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }
        return false;
    }

    public void Dispose() => _listener.Dispose();
}
