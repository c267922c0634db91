using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SomaAgent.Gateway.ChatCompletions;

// OpenAI's chat completions wire format (the subset this gateway serves). Names are snake_case through the
// gateway's JSON policy, exactly as OpenAI spells them; unknown request fields are ignored, as OpenAI clients expect.

/// <summary>An OpenAI chat completion request.</summary>
public sealed record ChatCompletionRequest
{
    [Description("Model id from GET /v1/models.")]
    public string? Model { get; init; }

    [Description("The conversation so far: system (or developer), user, assistant (with `tool_calls`) and tool (with `tool_call_id`) messages; the last is a user or tool message.")]
    public IReadOnlyList<ChatMessageInput?>? Messages { get; init; }

    [Description("Functions the model may call. The client runs them: a response with `finish_reason: tool_calls` asks for their results in the next request.")]
    public IReadOnlyList<ChatToolInput?>? Tools { get; init; }

    [Description("`auto` (default), `none`, `required`, or `{\"type\": \"function\", \"function\": {\"name\": ...}}`.")]
    public JsonElement? ToolChoice { get; init; }

    [Description("Stream the answer as Server-Sent Events of `chat.completion.chunk` objects, ending with `data: [DONE]`.")]
    public bool? Stream { get; init; }

    [Description("With `stream`: `include_usage` adds a last chunk with the usage.")]
    public ChatStreamOptions? StreamOptions { get; init; }

    [Description("Most tokens to generate (older name of `max_completion_tokens`).")]
    public int? MaxTokens { get; init; }

    [Description("Most tokens to generate.")]
    public int? MaxCompletionTokens { get; init; }

    [Description("Sampling temperature, 0 to 2, passed to the model.")]
    public float? Temperature { get; init; }

    [Description("An end-user id, kept in the session's metadata as `user`.")]
    public string? User { get; init; }

    [Description("Number of choices; only 1 is served.")]
    public int? N { get; init; }
}

public sealed record ChatStreamOptions([property: Description("Send a last chunk with `usage` before `[DONE]`.")] bool? IncludeUsage);

/// <summary>A message of the request's conversation.</summary>
public sealed record ChatMessageInput
{
    [Description("system, developer, user, assistant or tool.")]
    public string? Role { get; init; }

    [Description("A string or an array of `{\"type\": \"text\", \"text\": ...}` parts; null for an assistant message with only tool calls.")]
    public JsonElement? Content { get; init; }

    [Description("Accepted and ignored.")]
    public string? Name { get; init; }

    [Description("For an assistant message: the tool calls it made.")]
    public IReadOnlyList<ChatToolCall?>? ToolCalls { get; init; }

    [Description("For a tool message: the id of the call it answers.")]
    public string? ToolCallId { get; init; }
}

/// <summary>A tool declaration: <c>{"type": "function", "function": {...}}</c>.</summary>
public sealed record ChatToolInput([property: Description("Always `function`.")] string? Type, ChatFunctionDefinition? Function);

public sealed record ChatFunctionDefinition(
    [property: Description("1 to 64 letters, digits, `_` or `-`.")] string? Name,
    [property: Description("What the function does, for the model.")] string? Description,
    [property: Description("JSON schema of the arguments object.")] JsonElement? Parameters);

/// <summary>A tool call of an assistant message.</summary>
public sealed record ChatToolCall(
    [property: Description("The call id; the tool message answering it carries it as `tool_call_id`.")] string? Id,
    [property: Description("Always `function`.")] string? Type,
    ChatFunctionCall? Function);

public sealed record ChatFunctionCall(
    [property: Description("The function's name.")] string? Name,
    [property: Description("The arguments as a JSON string.")] string? Arguments);

/// <summary>A chat completion (<c>object: chat.completion</c>).</summary>
public sealed record ChatCompletion(
    [property: Description("`chatcmpl-` followed by the id of the session that ran it (GET /v1/sessions/{id}).")] string Id,
    [property: JsonPropertyName("object"), Description("Always `chat.completion`.")] string Kind,
    [property: Description("Unix time (seconds) of creation.")] long Created,
    [property: Description("The model that answered.")] string Model,
    IReadOnlyList<ChatCompletionChoice> Choices,
    ChatCompletionUsage Usage);

public sealed record ChatCompletionChoice(
    int Index,
    ChatCompletionMessage Message,
    [property: Description("`stop`, `length` or `tool_calls`.")] string FinishReason);

public sealed record ChatCompletionMessage(
    [property: Description("Always `assistant`.")] string Role,
    [property: Description("The answer; null when the model only called tools.")] string? Content,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("The client tools the model called; send their results as tool messages.")] IReadOnlyList<ChatToolCall>? ToolCalls);

public sealed record ChatCompletionUsage(
    [property: Description("Tokens of the prompt (see docs/openai-compatibility.md for how they are counted).")] long PromptTokens,
    [property: Description("Tokens generated.")] long CompletionTokens,
    [property: Description("The sum.")] long TotalTokens);

/// <summary>One streamed piece (<c>object: chat.completion.chunk</c>).</summary>
public sealed record ChatCompletionChunk(
    string Id,
    [property: JsonPropertyName("object"), Description("Always `chat.completion.chunk`.")] string Kind,
    long Created,
    string Model,
    IReadOnlyList<ChatCompletionChunkChoice> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChatCompletionUsage? Usage);

public sealed record ChatCompletionChunkChoice(int Index, ChatCompletionDelta Delta, string? FinishReason);

public sealed record ChatCompletionDelta(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Role,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Content,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ChatToolCallDelta>? ToolCalls);

public sealed record ChatToolCallDelta(int Index, string Id, string Type, ChatFunctionCall Function);
