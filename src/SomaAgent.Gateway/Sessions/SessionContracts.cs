using System.ComponentModel;
using System.Text.Json;
using SomaAgent.Runtime.Sessions;

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

    [Description("A capsule installed for the tenant, `name` (its highest installed version) or `name@version`: its system prompt opens the transcript, its built-in tools are the session's tools (`tools`, when given, must be among them), its limits bound the turns. A yanked version, or one whose signature no longer verifies, is refused.")]
    public string? Capsule { get; init; }

    [Description("A capsule not yet published, tried by its publisher (`soma capsule test`): the text of its `capsule.yaml`, at most 64 KiB. It is checked as the Registry checks it (422 `invalid-capsule` with `problems[]`) and applies as an installed capsule would, MCP allow-list included; the session's `capsule` says `draft: true`. Needs the `capsules:publish` scope; not with `capsule`.")]
    public string? CapsuleDraft { get; init; }
}

/// <summary>The capsule a session takes on from its next turn.</summary>
public sealed record AttachCapsuleRequest(
    [property: Description("A capsule installed for the tenant: `name` (its highest installed version) or `name@version`.")] string? Capsule);

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
    [property: Description("The text of the message.")] string Content)
{
    // Set only by the OpenAI-compatible route, whose transcripts carry tool calls and their results; internal, so
    // the session API's JSON binding and its OpenAPI schema never see them.

    /// <summary>For an assistant message that asked for tools: the calls, as stored JSON.</summary>
    internal string? ToolCallsJson { get; init; }

    /// <summary>For a tool message: the call it answers.</summary>
    internal string? ToolCallId { get; init; }

    /// <summary>The message as the engine stores it.</summary>
    internal InputMessage ToInput() => new(Role, Content, ToolCallsJson, ToolCallId, ToolName);

    /// <summary>For a tool message: the tool's name.</summary>
    internal string? ToolName { get; init; }
}

/// <summary>What <c>POST /v1/sessions</c> answers.</summary>
public sealed record SessionCreated(
    [property: Description("The session id (a UUID); the Location header points at it.")] Guid Id,
    [property: Description("Status of the first turn: `queued` when just created.")] string Status,
    [property: Description("The model the session uses.")] string Model,
    [property: Description("When the session was created (UTC).")] DateTime CreatedAt);

/// <summary>What a new turn or a cancel answers: the session and its latest turn.</summary>
public sealed record TurnAccepted(
    [property: Description("The session id.")] Guid Id,
    [property: Description("Status of the latest turn when the request was accepted.")] string Status,
    [property: Description("Number of the latest turn; for a message that waits, the turn it is expected to become.")] int Turn,
    [property: Description("For a message posted with strategy=enqueue or interrupt that waits behind the running turn: its place in the queue (1 = next). Absent when its turn started at once.")] int? QueuePosition = null);

/// <summary>A session with its transcript and events.</summary>
public sealed record SessionDetail(
    [property: Description("The session id.")] Guid Id,
    [property: Description("Status of the latest turn: queued, running, waiting_tool, completed, failed or cancelled.")] string Status,
    [property: Description("Why the latest turn failed or was cancelled.")] string? StatusReason,
    [property: Description("The model the session uses.")] string Model,
    [property: Description("Number of the latest turn, from 1.")] int Turn,
    [property: Description("Assistant text of the latest turn (partial while it runs).")] string Output,
    [property: Description("Tools the model may call in this session.")] IReadOnlyList<string> Tools,
    [property: Description("The client's metadata.")] IReadOnlyDictionary<string, string> Metadata,
    [property: Description("When the session was created (UTC).")] DateTime CreatedAt,
    [property: Description("When the session last changed (UTC).")] DateTime UpdatedAt,
    [property: Description("The whole transcript.")] IReadOnlyList<TranscriptMessage> Messages,
    [property: Description("Events with sequence greater than `after`, in order.")] IReadOnlyList<SessionEventDto> Events,
    [property: Description("The capsule the session took on, as it was when attached; null when none.")] SessionCapsule? Capsule);

/// <summary>A session in a list.</summary>
public sealed record SessionSummary(
    [property: Description("The session id.")] Guid Id,
    [property: Description("Status of the latest turn.")] string Status,
    [property: Description("The model the session uses.")] string Model,
    [property: Description("Number of the latest turn.")] int Turn,
    [property: Description("When the session was created (UTC).")] DateTime CreatedAt,
    [property: Description("When the session last changed (UTC).")] DateTime UpdatedAt,
    [property: Description("The client's metadata.")] IReadOnlyDictionary<string, string> Metadata);

/// <summary>One page of sessions, newest first.</summary>
public sealed record SessionPage(
    IReadOnlyList<SessionSummary> Data,
    [property: Description("Pass as `cursor` for the next page; null on the last page.")] string? NextCursor);

/// <summary>A message of the transcript.</summary>
public sealed record TranscriptMessage(
    [property: Description("system, user, assistant or tool.")] string Role,
    [property: Description("The text; for a tool message, the tool's JSON result.")] string Content,
    [property: Description("Turn the message belongs to.")] int Turn,
    [property: Description("When the message was stored (UTC).")] DateTime CreatedAt,
    [property: Description("For an assistant message that asked for tools.")] IReadOnlyList<TranscriptToolCall>? ToolCalls,
    [property: Description("For a tool message: the call it answers.")] string? ToolCallId,
    [property: Description("For a tool message: the tool's name.")] string? Name);

public sealed record TranscriptToolCall(
    [property: Description("The call id; the tool message answering it carries the same id.")] string Id,
    [property: Description("The tool's name.")] string Name,
    [property: Description("The arguments the model gave, as JSON.")] JsonElement Arguments);

/// <summary>One event of the session's log.</summary>
public sealed record SessionEventDto(
    [property: Description("Gapless from 1 per session.")] long Sequence,
    [property: Description("status, message.created, message.delta, message.completed, tool.call, tool.result, usage or error.")] string Type,
    [property: Description("When the event was stored (UTC).")] DateTime CreatedAt,
    [property: Description("Turn the event belongs to.")] int Turn,
    [property: Description("The event's data; its shape depends on the type (see docs/sessions.md).")] JsonElement Data);
