using System.Text.Json;
using System.Text.Json.Serialization;

namespace SomaAgent.Runtime.Sessions;

/// <summary>Data of a <c>status</c> event.</summary>
public sealed record StatusEventData(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("turn")] int Turn,
    [property: JsonPropertyName("reason")] string? Reason = null);

/// <summary>Data of a <c>message.created</c> or <c>message.completed</c> event.</summary>
public sealed record MessageEventData(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("turn")] int Turn);

/// <summary>Data of a <c>message.delta</c> event.</summary>
public sealed record DeltaEventData(
    [property: JsonPropertyName("content")] string Content);

/// <summary>Data of a <c>tool.call</c> event.</summary>
public sealed record ToolCallEventData(
    [property: JsonPropertyName("call_id")] string CallId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("arguments")] JsonElement Arguments);

/// <summary>Data of a <c>tool.result</c> event.</summary>
public sealed record ToolResultEventData(
    [property: JsonPropertyName("call_id")] string CallId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("result")] JsonElement Result,
    [property: JsonPropertyName("is_error")] bool IsError);

/// <summary>Data of an <c>error</c> event.</summary>
public sealed record ErrorEventData(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message);

/// <summary>Data of a <c>turn.resumed</c> event: the turn, which start of it this is, and its output so far.</summary>
public sealed record ResumedEventData(
    [property: JsonPropertyName("turn")] int Turn,
    [property: JsonPropertyName("attempt")] int Attempt,
    [property: JsonPropertyName("output")] string Output);

/// <summary>
/// One message of a new turn, as posted (stored while it waits in the queue). The tool fields carry the
/// assistant tool calls and tool results of an OpenAI-style transcript (chat completions).
/// </summary>
public sealed record InputMessage(
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("tool_calls_json"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ToolCallsJson = null,
    [property: JsonPropertyName("tool_call_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ToolCallId = null,
    [property: JsonPropertyName("name"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ToolName = null);

/// <summary>Data of a <c>usage</c> event: the tokens of one model call, as the model counted them.</summary>
public sealed record UsageEventData(
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("total_tokens")] long TotalTokens);

/// <summary>
/// The capsule a session took on, as it stood when attached: what the session's record keeps (<c>capsule_json</c>)
/// and the data of a <c>capsule.attached</c> event. Its system prompt joined the transcript as a system message; its
/// tools are the session's tools; its limits bound the session's turns. <see cref="Flagged"/> says why the version is
/// no longer in good standing (yanked, its signature no longer verifies, uninstalled) once a later turn found out; the
/// session goes on with it (the data of a <c>capsule.flagged</c> event). <see cref="FromTurn"/> is the first turn it
/// applies to, from which <see cref="MaxTurns"/> counts. A <see cref="Draft"/> capsule is one its publisher tries
/// before publishing (<c>soma capsule test</c>): it has no installation, and its digest is that of its manifest.
/// </summary>
public sealed record SessionCapsule(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("digest")] string Digest,
    [property: JsonPropertyName("installation_id")] Guid? InstallationId,
    [property: JsonPropertyName("tools")] IReadOnlyList<string> Tools,
    [property: JsonPropertyName("max_turns")] int? MaxTurns = null,
    [property: JsonPropertyName("max_tool_calls")] int? MaxToolCalls = null,
    [property: JsonPropertyName("max_steps_per_turn")] int? MaxStepsPerTurn = null,
    [property: JsonPropertyName("flagged")] string? Flagged = null,
    [property: JsonPropertyName("from_turn")] int FromTurn = 1,
    [property: JsonPropertyName("draft")] bool Draft = false)
{
    /// <summary>Whether the turn after <paramref name="latestTurn"/> would pass <see cref="MaxTurns"/> (turns counted from <see cref="FromTurn"/>).</summary>
    public bool AllowsNoTurnAfter(int latestTurn) => MaxTurns is { } max && latestTurn + 1 - FromTurn >= max;

    /// <summary>How policies and logs name it: <c>name@version</c>.</summary>
    [JsonIgnore]
    public string Reference => $"{Name}@{Version}";

    /// <summary>The capsule a session record keeps, or null.</summary>
    public static SessionCapsule? Of(Storage.SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.CapsuleJson is { } json ? JsonSerializer.Deserialize(json, SessionJsonContext.Wire.SessionCapsule) : null;
    }
}
