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

    public long LastSequence { get; private set; } = session.LastSequence;

    public IReadOnlyList<SessionEventRecord> Pending => _pending;

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
            CreatedAt = now,
        };
        _pending.Add(record);
        return record;
    }

    public SessionEventRecord Status(string status, DateTime now, string? reason = null) =>
        Add(SessionEventTypes.Status, new StatusEventData(status, session.Turn, reason), SessionJsonContext.Wire.StatusEventData, now);

    /// <summary>Takes the pending events for storing, as the bus message that announces them once stored.</summary>
    public (List<SessionEventRecord> Records, SessionEventsAppended Announcement) Drain()
    {
        var records = new List<SessionEventRecord>(_pending);
        _pending.Clear();
        var announcement = new SessionEventsAppended
        {
            SessionId = session.Id,
            Events = [.. records.Select(r => new SessionEventEnvelope(r.Sequence, r.Type, r.Turn, r.CreatedAt, r.DataJson))],
        };
        return (records, announcement);
    }
}
