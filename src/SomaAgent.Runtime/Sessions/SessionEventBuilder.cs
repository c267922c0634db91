using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Runtime.Sessions;

/// <summary>
/// Numbers a session's new events gaplessly from the session's last sequence and keeps them until they are
/// stored; the gateway (new turns) and the conversation worker (running turns) both write through it.
/// </summary>
public sealed class SessionEventBuilder(SessionRecord session)
{
    private readonly List<SessionEventRecord> _pending = [];
    private long _startSequence;
    private long _endSequence;

    /// <summary>Numbers events after <paramref name="lastSequence"/> instead of the session's own last sequence.</summary>
    public SessionEventBuilder(SessionRecord session, long lastSequence)
        : this(session) => LastSequence = lastSequence;

    public long LastSequence { get; private set; } = session.LastSequence;

    public IReadOnlyList<SessionEventRecord> Pending => _pending;

    /// <summary>
    /// <paramref name="time"/> cut to whole microseconds, the precision PostgreSQL keeps: an event announced live is
    /// then the same, byte for byte, as the event read back from the store (a client that resumes from the store, or
    /// compares, sees one history).
    /// </summary>
    public static DateTime ToStoredPrecision(DateTime time) => new(time.Ticks - (time.Ticks % 10), time.Kind);

    public SessionEventRecord Add<T>(string type, T data, JsonTypeInfo<T> typeInfo, DateTime now)
    {
        var record = new SessionEventRecord
        {
            SessionId = session.Id,
            Sequence = ++LastSequence,
            TenantId = session.TenantId,
            CreatedBy = session.CreatedBy,
            Turn = session.Turn,
            Type = type,
            DataJson = JsonSerializer.Serialize(data, typeInfo),
            CreatedAt = ToStoredPrecision(now),
        };
        _pending.Add(record);
        return record;
    }

    /// <summary>
    /// A status event. This is where a turn is decided started (<see cref="SessionStatus.Queued"/>) or ended
    /// (<see cref="SessionStatus.IsEnded"/>); the bus envelopes say so (<see cref="SessionEventEnvelope.EndsTurn"/>).
    /// </summary>
    public SessionEventRecord Status(string status, DateTime now, string? reason = null)
    {
        var record = Add(SessionEventTypes.Status, new StatusEventData(status, session.Turn, reason), SessionJsonContext.Wire.StatusEventData, now);
        if (status == SessionStatus.Queued)
        {
            _startSequence = record.Sequence;
        }
        else if (SessionStatus.IsEnded(status))
        {
            _endSequence = record.Sequence;
        }
        return record;
    }

    /// <summary>Takes the pending events for storing, as the bus message that announces them once stored.</summary>
    public (List<SessionEventRecord> Records, SessionEventsAppended Announcement) Drain()
    {
        var records = new List<SessionEventRecord>(_pending);
        _pending.Clear();
        var announcement = new SessionEventsAppended
        {
            SessionId = session.Id,
            TenantId = session.TenantId,
            Events = [.. records.Select(r => new SessionEventEnvelope(r.Sequence, r.Type, r.Turn, r.CreatedAt, r.DataJson)
            {
                StartsTurn = r.Sequence == _startSequence,
                EndsTurn = r.Sequence == _endSequence,
            })],
        };
        return (records, announcement);
    }

    /// <summary>
    /// A stored event as the bus would have carried it: replayed streams read events back from the store, where
    /// the status event itself is the record of what its writer decided.
    /// </summary>
    public static SessionEventEnvelope ToEnvelope(SessionEventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var status = record.Type == SessionEventTypes.Status
            ? JsonSerializer.Deserialize(record.DataJson, SessionJsonContext.Wire.StatusEventData)?.Status
            : null;
        return new SessionEventEnvelope(record.Sequence, record.Type, record.Turn, record.CreatedAt, record.DataJson)
        {
            StartsTurn = status == SessionStatus.Queued,
            EndsTurn = status is not null && SessionStatus.IsEnded(status),
        };
    }
}
