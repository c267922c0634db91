using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Engine.Conversations;

/// <summary>A session to open, as the gateway validated it.</summary>
public sealed record SessionOpening(
    string TenantId,
    string CreatedBy,
    string Model,
    IReadOnlyList<InputMessage> Messages,
    IReadOnlyList<string> Tools,
    SortedDictionary<string, string> Metadata,
    string? ClientOptionsJson)
{
    /// <summary>The capsule the session takes on from its first turn; its system prompt and tools are already in <see cref="Messages"/> and <see cref="Tools"/>.</summary>
    public SessionCapsule? Capsule { get; init; }
}

/// <summary>How <see cref="SessionTurns.CreateAsync"/> ended.</summary>
public abstract record CreateOutcome
{
    /// <param name="FirstEvents">The session's first events as stored and announced on <c>session.events</c>.</param>
    public sealed record Created(SessionRecord Session, SessionEventsAppended FirstEvents) : CreateOutcome;
    public sealed record Replayed(SessionRecord Session) : CreateOutcome;
    public sealed record KeyReused : CreateOutcome;
}

/// <summary>How taking a capsule on between turns ended.</summary>
public abstract record AttachOutcome
{
    public sealed record Attached(SessionCapsule Capsule) : AttachOutcome;
    public sealed record NotFound : AttachOutcome;

    /// <summary>A turn is queued or running: capsules are taken on between turns.</summary>
    public sealed record Conflict(string Status, int Turn) : AttachOutcome;
}

/// <summary>How a cancel request ended.</summary>
public abstract record TurnOutcome
{
    public sealed record Accepted(int Turn, string Status) : TurnOutcome;
    public sealed record NotFound : TurnOutcome;
    public sealed record Conflict(string Status, int Turn) : TurnOutcome;
}

/// <summary>What a posted message does while a turn runs (<c>?strategy=</c>).</summary>
public enum TurnStrategy
{
    /// <summary>409: the client posts again once the turn has ended (the default).</summary>
    Reject,

    /// <summary>The message waits and becomes the next turn when the running one ends.</summary>
    Enqueue,

    /// <summary>The message waits and the running turn is cancelled, so it starts as soon as that turn stops.</summary>
    Interrupt,
}

/// <summary>How a request for the next turn ended.</summary>
public abstract record NextTurn
{
    /// <summary>The turn was stored as queued and dispatched; <paramref name="FirstEvents"/> are its first events as announced.</summary>
    public sealed record Started(int Turn, SessionEventsAppended FirstEvents) : NextTurn;

    /// <summary>The input waits behind the running turn <paramref name="RunningTurn"/>, at <paramref name="Position"/> (from 1).</summary>
    public sealed record Queued(int Position, int RunningTurn) : NextTurn;

    /// <summary>A turn is in progress.</summary>
    public sealed record Busy(string Status, int Turn) : NextTurn;

    /// <summary>The session's capsule allows no more turns (<c>limits.max_turns</c>).</summary>
    public sealed record LimitReached(string Capsule, int MaxTurns) : NextTurn;

    public sealed record NotFound : NextTurn;
}
