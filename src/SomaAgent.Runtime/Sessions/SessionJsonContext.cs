using System.Text.Json.Serialization;

namespace SomaAgent.Runtime.Sessions;

/// <summary>Source-generated JSON for event data: no reflection on the hot path.</summary>
[JsonSerializable(typeof(StatusEventData))]
[JsonSerializable(typeof(MessageEventData))]
[JsonSerializable(typeof(DeltaEventData))]
[JsonSerializable(typeof(ToolCallEventData))]
[JsonSerializable(typeof(ToolResultEventData))]
[JsonSerializable(typeof(ErrorEventData))]
[JsonSerializable(typeof(ResumedEventData))]
[JsonSerializable(typeof(List<InputMessage>))]
[JsonSerializable(typeof(UsageEventData))]
[JsonSerializable(typeof(SessionCapsule))]
[JsonSerializable(typeof(ClientModelOptions))]
[JsonSerializable(typeof(List<StoredToolCall>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class SessionJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context to use: compact, and without escaping of characters like <c>+</c> or non-ASCII letters, so
    /// stored and streamed JSON reads as the client sent it (it is always served as JSON, never as HTML).
    /// </summary>
    public static SessionJsonContext Wire { get; } = new(new System.Text.Json.JsonSerializerOptions
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>A tool call as kept on an assistant message of the transcript.</summary>
public sealed record StoredToolCall(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("arguments")] System.Text.Json.JsonElement Arguments);
