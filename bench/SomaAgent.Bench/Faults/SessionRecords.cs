using System.Text.Json;

namespace SomaAgent.Bench.Faults;

/// <summary>One page of <c>GET /v1/sessions</c>, the part the checker reads.</summary>
internal sealed record SessionPageRecord(IReadOnlyList<SessionSummaryRecord> Data, string? NextCursor);

internal sealed record SessionSummaryRecord(string Id, string Status, int Turn);

/// <summary><c>GET /v1/sessions/{id}</c>: the session's state, its whole transcript and its whole event log.</summary>
internal sealed record SessionRecord(string Id, string Status, string? StatusReason, int Turn, IReadOnlyList<MessageRecord> Messages, IReadOnlyList<EventRecord> Events);

internal sealed record MessageRecord(string Role, int Turn, string? ToolCallId);

internal sealed record EventRecord(long Sequence, string Type, int Turn, JsonElement Data);
