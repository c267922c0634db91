using System.Collections.Concurrent;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Gateway.Sessions;

/// <summary>
/// The events of turns this gateway saw start, kept from the turn's first event on until the turn's first stream opens,
/// so that stream starts without reading the store: a client creates a session (or posts its next message) and streams
/// it at once, and that read was the one store statement of a turn that no other could share. Only what was announced
/// is kept, and announcements come after their events are stored, so the copy is what the store holds. It serves a
/// stream only from a position the copy reaches without a gap (the event before the turn's first, or later); a gap, an
/// out-of-order announcement or a full log drops it, and the stream reads the store as before. Bounded: a turn is kept
/// at most <see cref="Lifetime"/>, at most <see cref="MaxEventsPerTurn"/> events each, <see cref="MaxEvents"/> in all
/// (the oldest go first).
/// </summary>
public sealed class StartedTurnEvents(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    public const int MaxEventsPerTurn = 128;
    public const int MaxEvents = 32_768;

    private readonly ConcurrentDictionary<Guid, Log> _sessions = new();
    private readonly ConcurrentQueue<(Guid SessionId, Log Log)> _arrivals = new();
    private int _events;

    /// <summary>How many turns are kept now (one per session at most).</summary>
    public int Count => _sessions.Count;

    /// <summary>How many events the kept sessions hold.</summary>
    public int EventCount => Volatile.Read(ref _events);

    /// <summary>Takes in stored events as announced: the first events of a turn start its log (replacing the last turn's), later ones extend it.</summary>
    public void Record(SessionEventsAppended appended)
    {
        ArgumentNullException.ThrowIfNull(appended);
        if (appended.Events.Count == 0)
        {
            return;
        }
        if (appended.Events.Any(e => e.StartsTurn))
        {
            var log = new Log(this, appended.TenantId, time.GetTimestamp());
            var existing = _sessions.GetValueOrDefault(appended.SessionId);
            if (existing is not null && existing.First >= appended.Events[0].Sequence)
            {
                // A repeated announcement of a turn already kept.
                return;
            }
            if (log.TryAppend(appended.Events) && (existing is null
                    ? _sessions.TryAdd(appended.SessionId, log)
                    : _sessions.TryUpdate(appended.SessionId, log, existing)))
            {
                existing?.Close();
                _arrivals.Enqueue((appended.SessionId, log));
            }
            else
            {
                log.Close();
            }
            Evict();
            return;
        }
        if (_sessions.TryGetValue(appended.SessionId, out var kept) && !kept.TryAppend(appended.Events))
        {
            Drop(appended.SessionId, kept);
        }
    }

    /// <summary>
    /// Removes the session's log and gives its events after <paramref name="after"/> and whether its latest turn had ended;
    /// false when it is not kept, does not reach back to <paramref name="after"/>, or belongs to another tenant (then the
    /// store answers, as for any other session).
    /// </summary>
    public bool TryTake(Guid sessionId, string tenantId, long after, out StartedTurnStart start)
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

    /// <summary>One turn's events from its first on, gapless. Counted in the owner's total while open; emptied when closed.</summary>
    private sealed class Log(StartedTurnEvents owner, string tenantId, long started)
    {
        private readonly List<SessionEventEnvelope> _events = [];
        private bool _closed;

        public string TenantId => tenantId;
        public long Started => started;
        public bool IsClosed { get { lock (_events) { return _closed; } } }

        /// <summary>The sequence of the first event kept (the turn's first); 0 while empty.</summary>
        public long First { get { lock (_events) { return _events.Count == 0 ? 0 : _events[0].Sequence; } } }

        /// <summary>Appends events that follow the last one without a gap; false (and nothing appended) otherwise.</summary>
        public bool TryAppend(IReadOnlyList<SessionEventEnvelope> events)
        {
            lock (_events)
            {
                if (_closed || (_events.Count > 0 && events[0].Sequence != _events[^1].Sequence + 1) || _events.Count + events.Count > MaxEventsPerTurn)
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

        /// <summary>The events after <paramref name="after"/>, if the log reaches back to it; the latest turn and whether it ended.</summary>
        public bool TrySnapshot(long after, out StartedTurnStart start)
        {
            lock (_events)
            {
                start = default;
                if (_closed || _events.Count == 0 || after < _events[0].Sequence - 1)
                {
                    return false;
                }
                var turn = _events[^1].Turn;
                var ended = _events.FindLastIndex(e => e.Turn == turn && e.EndsTurn) >= 0;
                start = new StartedTurnStart(turn, ended, [.. _events.Where(e => e.Sequence > after)]);
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

/// <summary>A stream's start from <see cref="StartedTurnEvents"/>: the latest turn, whether it had ended, the events after the client's position.</summary>
public readonly record struct StartedTurnStart(int Turn, bool Ended, List<SessionEventEnvelope> Events);
