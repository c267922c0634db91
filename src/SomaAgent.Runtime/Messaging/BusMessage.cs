using System.Text.Json.Serialization;

namespace SomaAgent.Runtime.Messaging;

/// <summary>
/// A message carried between services. Immutable, past tense or imperative by topic, with an id for
/// idempotent handling and a UTC timestamp. The JSON discriminator is the stable wire name.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TurnRequested), "turn.requested")]
[JsonDerivedType(typeof(TurnCancelRequested), "turn.cancel_requested")]
[JsonDerivedType(typeof(ToolCallRequested), "tool.call_requested")]
[JsonDerivedType(typeof(ToolCallCompleted), "tool.call_completed")]
[JsonDerivedType(typeof(SessionEventsAppended), "session.events_appended")]
public abstract record BusMessage
{
    public Guid MessageId { get; init; } = Guid.CreateVersion7();
    /// <summary>When the message was published (UTC): stamped by the bus from its <see cref="TimeProvider"/> unless the publisher set it.</summary>
    public DateTime OccurredAt { get; init; }

    /// <summary>This message with <see cref="OccurredAt"/> set to <paramref name="time"/>'s now, unless it is set already.</summary>
    public BusMessage Stamped(TimeProvider time) => OccurredAt == default ? this with { OccurredAt = time.GetUtcNow().UtcDateTime } : this;
    public required Guid SessionId { get; init; }
}

/// <summary>A turn was queued and waits for a conversation worker (<c>conversation.inbound</c>).</summary>
public sealed record TurnRequested : BusMessage
{
    public required int Turn { get; init; }
}

/// <summary>The client asked to cancel a turn (<c>conversation.inbound</c>).</summary>
public sealed record TurnCancelRequested : BusMessage
{
    public required int Turn { get; init; }
}

/// <summary>The model asked for a tool; the tool executor runs it (<c>tool.requests</c>).</summary>
public sealed record ToolCallRequested : BusMessage
{
    public required string TenantId { get; init; }
    public required string CallId { get; init; }
    public required string ToolName { get; init; }
    public required string ArgumentsJson { get; init; }

    /// <summary>The session's model, for the policy.</summary>
    public string? Model { get; init; }

    /// <summary>The name of the capsule the session took on, for the policy; null when it has none.</summary>
    public string? Capsule { get; init; }
}

/// <summary>A tool finished, well or badly (<c>tool.results</c>).</summary>
public sealed record ToolCallCompleted : BusMessage
{
    public required string CallId { get; init; }
    public required string ToolName { get; init; }
    public required string ResultJson { get; init; }
    public required bool IsError { get; init; }
}

/// <summary>Events were stored for a session and can be streamed (<c>session.events</c>).</summary>
public sealed record SessionEventsAppended : BusMessage
{
    /// <summary>The session's tenant, for whoever keeps per-tenant state on the events (the concurrent-sessions quota).</summary>
    public string TenantId { get; init; } = "";

    public required IReadOnlyList<SessionEventEnvelope> Events { get; init; }
}

/// <summary>
/// A stored session event as it travels on the bus. Besides the public event (sequence, type, turn, time, data) it
/// says what the writer decided when it stored it, so readers never re-parse the status data: whether the event
/// queued a new turn, and whether it ended its turn.
/// </summary>
public sealed record SessionEventEnvelope(long Sequence, string Type, int Turn, DateTime CreatedAt, string DataJson)
{
    /// <summary>This status event queued turn <see cref="Turn"/> (a new session, a next message, a waiting input started).</summary>
    public bool StartsTurn { get; init; }

    /// <summary>This status event ended turn <see cref="Turn"/> (completed, failed or cancelled); nothing of that turn follows it.</summary>
    public bool EndsTurn { get; init; }
}
