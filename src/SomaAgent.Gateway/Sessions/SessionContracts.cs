using System.ComponentModel;
using System.Text.Json;

namespace SomaAgent.Gateway.Sessions;

/// <summary>Opens a session: either <c>input</c> or <c>messages</c>.</summary>
public sealed record CreateSessionRequest
{
    /// <summary>The first user message. Give this or <c>messages</c>.</summary>
    [Description("The first user message. Give this or `messages`, not both.")]
    public string? Input { get; init; }

    /// <summary>The opening transcript; the last message must be from the user.</summary>
    [Description("The opening transcript (roles system, user, assistant); the last message must be from the user.")]
    public IReadOnlyList<MessageInput>? Messages { get; init; }

    [Description("Model id from GET /v1/models. Default: the deployment's default model.")]
    public string? Model { get; init; }

    [Description("Tool names from GET /v1/tools the model may call. Omitted: every tool; empty: none.")]
    public IReadOnlyList<string>? Tools { get; init; }

    [Description("Up to 16 string pairs kept with the session.")]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>Adds the next user message to a session whose latest turn has ended.</summary>
public sealed record PostMessageRequest
{
    [Description("The user message. Give this or `messages`.")]
    public string? Input { get; init; }

    [Description("One or more messages; the last must be from the user.")]
    public IReadOnlyList<MessageInput>? Messages { get; init; }
}

public sealed record MessageInput(
    [property: Description("system, user or assistant.")] string Role,
    [property: Description("The text of the message.")] string Content);

/// <summary>What <c>POST /v1/sessions</c> answers.</summary>
public sealed record SessionCreated(Guid Id, string Status, string Model, DateTime CreatedAt);

/// <summary>What a new turn or a cancel answers: the session and its latest turn.</summary>
public sealed record TurnAccepted(Guid Id, string Status, int Turn);

/// <summary>A session with its transcript and events.</summary>
public sealed record SessionDetail(
    Guid Id,
    string Status,
    [property: Description("Why the latest turn failed or was cancelled.")] string? StatusReason,
    string Model,
    [property: Description("Number of the latest turn, from 1.")] int Turn,
    [property: Description("Assistant text of the latest turn (partial while it runs).")] string Output,
    IReadOnlyList<string> Tools,
    IReadOnlyDictionary<string, string> Metadata,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    [property: Description("The whole transcript.")] IReadOnlyList<TranscriptMessage> Messages,
    [property: Description("Events with sequence greater than `after`, in order.")] IReadOnlyList<SessionEventDto> Events);

/// <summary>A session in a list.</summary>
public sealed record SessionSummary(Guid Id, string Status, string Model, int Turn, DateTime CreatedAt, DateTime UpdatedAt, IReadOnlyDictionary<string, string> Metadata);

/// <summary>One page of sessions, newest first.</summary>
public sealed record SessionPage(
    IReadOnlyList<SessionSummary> Data,
    [property: Description("Pass as `cursor` for the next page; null on the last page.")] string? NextCursor);

/// <summary>A message of the transcript.</summary>
public sealed record TranscriptMessage(
    string Role,
    string Content,
    int Turn,
    DateTime CreatedAt,
    [property: Description("For an assistant message that asked for tools.")] IReadOnlyList<TranscriptToolCall>? ToolCalls,
    [property: Description("For a tool message: the call it answers.")] string? ToolCallId,
    [property: Description("For a tool message: the tool's name.")] string? Name);

public sealed record TranscriptToolCall(string Id, string Name, JsonElement Arguments);

/// <summary>One event of the session's log.</summary>
public sealed record SessionEventDto(
    [property: Description("Gapless from 1 per session.")] long Sequence,
    [property: Description("status, message.created, message.delta, message.completed, tool.call, tool.result or error.")] string Type,
    DateTime CreatedAt,
    [property: Description("Turn the event belongs to.")] int Turn,
    JsonElement Data);
