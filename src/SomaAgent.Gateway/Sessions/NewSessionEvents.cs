using System.Collections.Concurrent;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Gateway.Sessions;

/// <summary>
/// The events of sessions this gateway saw begin, kept from the first one on until the session's first stream opens, so
/// that stream starts without reading the store: a client creates a session and streams it at once, and that read was
/// the one store statement of a run that no other could share. Only what was announced is kept, and announcements come
/// after their events are stored, so the copy is what the store holds. It is used only while it is gapless from
/// sequence 1; a gap, an out-of-order announcement or a full log drops it, and the stream reads the store as before.
/// Bounded: a session is kept at most <see cref="Lifetime"/>, at most <see cref="MaxEventsPerSession"/> events each,
/// <see cref="MaxEvents"/> in all (the oldest sessions go first).
/// </summary>
public sealed class NewSessionEvents(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    public const int MaxEventsPerSession = 128;
    public const int MaxEvents = 32_768;

    private readonly ConcurrentDictionary<Guid, Log> _sessions = new();
    private readonly ConcurrentQueue<(Guid SessionId, Log Log)> _arrivals = new();
    private int _events;

    /// <summary>How many sessions are kept now.</summary>
    public int Count => _sessions.Count;

    /// <summary>How many events the kept sessions hold.</summary>
    public int EventCount => Volatile.Read(ref _events);

    /// <summary>Takes in stored events as announced: the first events of a session start its log, later ones extend it.</summary>
    public void Record(SessionEventsAppended appended)
    {
        ArgumentNullException.ThrowIfNull(appended);
        if (appended.Events.Count == 0)
        {
            return;
        }
        if (appended.Events[0].Sequence == 1)
        {
            var log = new Log(this, appended.TenantId, time.GetTimestamp());
            if (log.TryAppend(appended.Events) && _sessions.TryAdd(appended.SessionId, log))
            {
                _arrivals.Enqueue((appended.SessionId, log));
            }
            else
            {
                // A repeated announcement of a session already kept (or too long to keep).
                log.Close();
            }
            Evict();
            return;
        }
        if (_sessions.TryGetValue(appended.SessionId, out var existing) && !existing.TryAppend(appended.Events))
        {
            Drop(appended.SessionId, existing);
        }
    }

    /// <summary>
    /// Removes the session's log and gives its events after <paramref name="after"/> and whether its latest turn had ended;
    /// false when it is not kept (or belongs to another tenant: then the store answers, as for any other session).
    /// </summary>
    public bool TryTake(Guid sessionId, string tenantId, long after, out NewSessionStart start)
    {
        start = default;
        if (!_sessions.TryGetValue(sessionId, out var log) || !string.Equals(log.TenantId, tenantId, StringComparison.Ordinal))
        {
            return false;
        }
        var taken = log.TrySnapshot(after, out start);
        Drop(sessionId, log);
        return taken;
    }

    private void Drop(Guid sessionId, Log log)
    {
        if (_sessions.TryRemove(new KeyValuePair<Guid, Log>(sessionId, log)))
        {
            log.Close();
        }
    }

    /// <summary>Drops the oldest sessions while they are taken, past their lifetime, or the logs hold too many events.</summary>
    private void Evict()
    {
        while (_arrivals.TryPeek(out var oldest)
            && (oldest.Log.IsClosed || EventCount > MaxEvents || time.GetElapsedTime(oldest.Log.Started) > Lifetime))
        {
            if (_arrivals.TryDequeue(out var removed))
            {
                Drop(removed.SessionId, removed.Log);
            }
        }
    }

    /// <summary>One session's events from sequence 1, gapless. Counted in the owner's total while open; emptied when closed.</summary>
    private sealed class Log(NewSessionEvents owner, string tenantId, long started)
    {
        private readonly List<SessionEventEnvelope> _events = [];
        private bool _closed;

        public string TenantId => tenantId;
        public long Started => started;
        public bool IsClosed { get { lock (_events) { return _closed; } } }

        /// <summary>Appends events that follow the last one without a gap; false (and nothing appended) otherwise.</summary>
        public bool TryAppend(IReadOnlyList<SessionEventEnvelope> events)
        {
            lock (_events)
            {
                var next = _events.Count == 0 ? 1 : _events[^1].Sequence + 1;
                if (_closed || events[0].Sequence != next || _events.Count + events.Count > MaxEventsPerSession)
                {
                    return false;
                }
                for (var i = 1; i < events.Count; i++)
                {
                    if (events[i].Sequence != events[i - 1].Sequence + 1)
                    {
                        return false;
                    }
                }
                _events.AddRange(events);
                Interlocked.Add(ref owner._events, events.Count);
                return true;
            }
        }

        public bool TrySnapshot(long after, out NewSessionStart start)
        {
            lock (_events)
            {
                start = default;
                if (_closed || _events.Count == 0)
                {
                    return false;
                }
                var turn = _events[^1].Turn;
                var ended = _events.FindLastIndex(e => e.Turn == turn && e.EndsTurn) >= 0;
                start = new NewSessionStart(turn, ended, [.. _events.Where(e => e.Sequence > after)]);
                return true;
            }
        }

        public void Close()
        {
            lock (_events)
            {
                if (!_closed)
                {
                    _closed = true;
                    Interlocked.Add(ref owner._events, -_events.Count);
                    _events.Clear();
                }
            }
        }
    }
}

/// <summary>A stream's start from <see cref="NewSessionEvents"/>: the latest turn, whether it had ended, the events after the client's position.</summary>
public readonly record struct NewSessionStart(int Turn, bool Ended, List<SessionEventEnvelope> Events);
