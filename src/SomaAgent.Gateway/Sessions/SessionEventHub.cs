using System.Collections.Concurrent;
using System.Threading.Channels;
using SomaAgent.Gateway.Tenancy.RateLimiting;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Gateway.Sessions;

/// <summary>
/// Fans stored events out to the SSE streams of this gateway. Each stream gets a bounded buffer; a stream
/// too slow to keep up loses the oldest buffered events, notices the gap in sequence numbers and reads
/// them from the store instead, so no client ever misses one.
/// </summary>
public sealed class SessionEventHub
{
    public const int BufferPerStream = 1024;

    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Channel<SessionEventEnvelope>, byte>> _streams = new();

    public Subscription Subscribe(Guid sessionId)
    {
        var channel = Channel.CreateBounded<SessionEventEnvelope>(new BoundedChannelOptions(BufferPerStream)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        _streams.GetOrAdd(sessionId, _ => new()).TryAdd(channel, 0);
        return new Subscription(this, sessionId, channel);
    }

    public void Publish(SessionEventsAppended appended)
    {
        ArgumentNullException.ThrowIfNull(appended);
        if (!_streams.TryGetValue(appended.SessionId, out var streams))
        {
            return;
        }
        foreach (var channel in streams.Keys)
        {
            foreach (var envelope in appended.Events)
            {
                channel.Writer.TryWrite(envelope);
            }
        }
    }

    private void Unsubscribe(Guid sessionId, Channel<SessionEventEnvelope> channel)
    {
        if (_streams.TryGetValue(sessionId, out var streams))
        {
            streams.TryRemove(channel, out _);
            if (streams.IsEmpty)
            {
                _streams.TryRemove(new KeyValuePair<Guid, ConcurrentDictionary<Channel<SessionEventEnvelope>, byte>>(sessionId, streams));
            }
        }
    }

    public sealed class Subscription(SessionEventHub hub, Guid sessionId, Channel<SessionEventEnvelope> channel) : IDisposable
    {
        public ChannelReader<SessionEventEnvelope> Reader => channel.Reader;

        public void Dispose() => hub.Unsubscribe(sessionId, channel);
    }
}

/// <summary>
/// Feeds <c>session.events</c> into this gateway's hub (every gateway instance reads every event). A
/// turn's end frees its concurrent-session slot first, so a client that sees the end can start the next turn.
/// </summary>
public sealed class SessionEventsAppendedHandler(SessionEventHub hub, StartedTurnEvents startedTurns, SessionQuota quota) : IBusMessageHandler<SessionEventsAppended>
{
    public async Task HandleAsync(SessionEventsAppended message, CancellationToken cancellationToken)
    {
        // A turn's first events are kept before the quota's round trip, so the stream its client opens as soon as the
        // request returns finds them; later events are kept with the hub's, after the quota (an end frees its slot first).
        var begins = message.Events.Any(e => e.StartsTurn);
        if (begins)
        {
            startedTurns.Record(message);
        }
        await quota.OnEventsAsync(message, cancellationToken);
        if (!begins)
        {
            startedTurns.Record(message);
        }
        hub.Publish(message);
    }
}
