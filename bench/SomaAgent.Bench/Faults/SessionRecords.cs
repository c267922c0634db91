using System.Text.Json;

namespace SomaAgent.Bench.Faults;

/// <summary>One page of <c>GET /v1/sessions</c>, the part the checker reads.</summary>
internal sealed record SessionPageRecord(IReadOnlyList<SessionSummaryRecord> Data, string? NextCursor);

internal sealed record SessionSummaryRecord(string Id, string Status, int Turn);

/// <summary><c>GET /v1/sessions/{id}</c> as sent: each event kept as its JSON, which is what a stream sends as its data.</summary>
internal sealed record SessionWire(string Id, string Status, string? StatusReason, int Turn, IReadOnlyList<MessageRecord> Messages, IReadOnlyList<JsonElement> Events)
{
    public SessionRecord ToRecord() => new(Id, Status, StatusReason, Turn, Messages,
        [.. Events.Select(e => new EventRecord(e.GetProperty("sequence").GetInt64(), e.GetProperty("type").GetString() ?? "", e.GetProperty("turn").GetInt32(), e.GetProperty("data").Clone(), e.GetRawText()))]);
}

/// <summary>A session's state, its whole transcript and its whole event log.</summary>
internal sealed record SessionRecord(string Id, string Status, string? StatusReason, int Turn, IReadOnlyList<MessageRecord> Messages, IReadOnlyList<EventRecord> Events);

internal sealed record MessageRecord(string Role, int Turn, string? ToolCallId);

/// <param name="Json">The event as the API sends it, byte for byte.</param>
internal sealed record EventRecord(long Sequence, string Type, int Turn, JsonElement Data, string Json);
