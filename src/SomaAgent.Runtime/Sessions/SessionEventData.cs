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

/// <summary>Data of a <c>usage</c> event: the tokens of one model call, as the model counted them.</summary>
public sealed record UsageEventData(
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("total_tokens")] long TotalTokens);
