using System.Text.Json;
using System.Text.Json.Serialization;

namespace SomaAgent.Client.Sessions;

/// <summary>A message of a request: role <c>system</c>, <c>user</c> or <c>assistant</c>.</summary>
public sealed record ChatMessage(string Role, string Content)
{
    public static ChatMessage User(string content) => new("user", content);

    public static ChatMessage System(string content) => new("system", content);
}

/// <summary>Opens a session: <see cref="Input"/> or <see cref="Messages"/>.</summary>
public sealed record CreateSessionRequest
{
    public string? Input { get; init; }

    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>A model id from <c>GET /v1/models</c>; default the deployment's.</summary>
    public string? Model { get; init; }

    /// <summary>Tool names; null offers every tool (or the capsule's), empty none.</summary>
    public IReadOnlyList<string>? Tools { get; init; }

    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>An installed capsule: <c>name</c> or <c>name@version</c>.</summary>
    public string? Capsule { get; init; }

    /// <summary>The text of a <c>capsule.yaml</c> tried before it is published (needs <c>capsules:publish</c>); not with <see cref="Capsule"/>.</summary>
    public string? CapsuleDraft { get; init; }
}

/// <summary>The next user message of a session.</summary>
public sealed record PostMessageRequest
{
    public string? Input { get; init; }

    public IReadOnlyList<ChatMessage>? Messages { get; init; }
}

/// <summary>What a posted message does while a turn runs.</summary>
public enum TurnStrategy
{
    /// <summary>The API answers 409 while a turn runs.</summary>
    Reject,

    /// <summary>The message waits for the running turn to end.</summary>
    Enqueue,

    /// <summary>The message waits, and the running turn is cancelled.</summary>
    Interrupt,
}

public sealed record SessionCreated(Guid Id, string Status, string Model, DateTime CreatedAt);

public sealed record TurnAccepted(Guid Id, string Status, int Turn, int? QueuePosition = null);

public sealed record SessionSummary(Guid Id, string Status, string Model, int Turn, DateTime CreatedAt, DateTime UpdatedAt, IReadOnlyDictionary<string, string> Metadata);

public sealed record TranscriptToolCall(string Id, string Name, JsonElement Arguments);

public sealed record TranscriptMessage(string Role, string Content, int Turn, DateTime CreatedAt, IReadOnlyList<TranscriptToolCall>? ToolCalls, string? ToolCallId, string? Name);

/// <summary>The capsule a session took on; a <see cref="Draft"/> one (tried before publishing) has no installation.</summary>
public sealed record SessionCapsule(
    string Name,
    string Version,
    string Digest,
    Guid? InstallationId,
    IReadOnlyList<string> Tools,
    int? MaxTurns,
    int? MaxToolCalls,
    int? MaxStepsPerTurn,
    string? Flagged,
    int FromTurn,
    bool Draft = false);

/// <summary>A session with its transcript and events.</summary>
public sealed record SessionDetail(
    Guid Id,
    string Status,
    string? StatusReason,
    string Model,
    int Turn,
    string Output,
    IReadOnlyList<string> Tools,
    IReadOnlyDictionary<string, string> Metadata,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    IReadOnlyList<TranscriptMessage> Messages,
    IReadOnlyList<SessionEvent> Events,
    SessionCapsule? Capsule)
{
    /// <summary>Whether the latest turn has ended (completed, failed or cancelled).</summary>
    [JsonIgnore]
    public bool HasEnded => Status is SessionStatuses.Completed or SessionStatuses.Failed or SessionStatuses.Cancelled;
}

/// <summary>One event of a session: <see cref="Type"/> names the shape of <see cref="Data"/> (see the API's sessions contract).</summary>
public sealed record SessionEvent(long Sequence, string Type, DateTime CreatedAt, int Turn, JsonElement Data)
{
    /// <summary>For <c>message.delta</c>: the piece of text.</summary>
    [JsonIgnore]
    public string? Delta => Type == SessionEventTypes.MessageDelta && Data.TryGetProperty("content", out var content) ? content.GetString() : null;
}

public static class SessionStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string WaitingTool = "waiting_tool";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

public static class SessionEventTypes
{
    public const string Status = "status";
    public const string CapsuleAttached = "capsule.attached";
    public const string CapsuleFlagged = "capsule.flagged";
    public const string MessageCreated = "message.created";
    public const string MessageDelta = "message.delta";
    public const string MessageCompleted = "message.completed";
    public const string ToolCall = "tool.call";
    public const string ToolResult = "tool.result";
    public const string TurnResumed = "turn.resumed";
    public const string Usage = "usage";
    public const string Error = "error";
}
