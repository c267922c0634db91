using System.Text.Json;
using System.Text.Json.Serialization;

namespace SomaAgent.Runtime.Sessions;

/// <summary>
/// Model settings a client gave with its request through the OpenAI-compatible route, kept with the session
/// (<see cref="Storage.SessionRecord.ClientOptionsJson"/>). The tools here are declared to the model but never
/// run by the tool executor: when the model calls only these, the turn ends <c>completed</c> with the reason
/// <see cref="TurnEndReasons.ToolCalls"/> and the client runs them and sends the results with its next request.
/// </summary>
public sealed record ClientModelOptions
{
    public const string ToolChoiceAuto = "auto";
    public const string ToolChoiceNone = "none";
    public const string ToolChoiceRequired = "required";

    /// <summary>Tools the client declares and runs itself.</summary>
    [JsonPropertyName("tools")]
    public IReadOnlyList<ClientToolDeclaration> Tools { get; init; } = [];

    /// <summary><c>auto</c> (default), <c>none</c> or <c>required</c>; with <see cref="RequiredTool"/> the model must call that tool.</summary>
    [JsonPropertyName("tool_choice")]
    public string? ToolChoice { get; init; }

    /// <summary>The one tool the model must call (OpenAI's <c>tool_choice: {"type": "function", ...}</c>).</summary>
    [JsonPropertyName("required_tool")]
    public string? RequiredTool { get; init; }

    /// <summary>Most tokens the model may produce in one call.</summary>
    [JsonPropertyName("max_output_tokens")]
    public int? MaxOutputTokens { get; init; }

    [JsonPropertyName("temperature")]
    public float? Temperature { get; init; }

    public static ClientModelOptions? Parse(string? json) =>
        json is null ? null : JsonSerializer.Deserialize(json, SessionJsonContext.Wire.ClientModelOptions);

    public string ToJson() => JsonSerializer.Serialize(this, SessionJsonContext.Wire.ClientModelOptions);
}

/// <summary>A function tool as the client declared it: name, description and the JSON schema of its arguments.</summary>
public sealed record ClientToolDeclaration(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("parameters")] JsonElement Parameters);

/// <summary>
/// The <c>status_reason</c> of a turn that ended <c>completed</c> for a reason other than a finished answer;
/// null means the model finished its answer.
/// </summary>
public static class TurnEndReasons
{
    /// <summary>The model called tools the client runs (<see cref="ClientModelOptions.Tools"/>); the answer waits for their results.</summary>
    public const string ToolCalls = "tool_calls";

    /// <summary>The model stopped at its output-token limit.</summary>
    public const string Length = "length";
}
