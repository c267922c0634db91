namespace SomaAgent.Runtime.Sessions;

/// <summary>The <c>type</c> of a session event: stable wire names, never derived from CLR type names.</summary>
public static class SessionEventTypes
{
    /// <summary>The latest turn changed status. Data: <see cref="StatusEventData"/>.</summary>
    public const string Status = "status";

    /// <summary>The session took on a capsule: from the next turn its system prompt, tools and limits apply. Data: <see cref="SessionCapsule"/>.</summary>
    public const string CapsuleAttached = "capsule.attached";

    /// <summary>The session's capsule version fell out of good standing (yanked, key revoked); the session goes on with it. Data: <see cref="SessionCapsule"/> with <c>flagged</c>.</summary>
    public const string CapsuleFlagged = "capsule.flagged";

    /// <summary>A user message was accepted into the transcript. Data: <see cref="MessageEventData"/>.</summary>
    public const string MessageCreated = "message.created";

    /// <summary>A piece of assistant text. Data: <see cref="DeltaEventData"/>.</summary>
    public const string MessageDelta = "message.delta";

    /// <summary>An assistant message is complete. Data: <see cref="MessageEventData"/>.</summary>
    public const string MessageCompleted = "message.completed";

    /// <summary>The model asked for a tool. Data: <see cref="ToolCallEventData"/>.</summary>
    public const string ToolCall = "tool.call";

    /// <summary>A tool answered. Data: <see cref="ToolResultEventData"/>.</summary>
    public const string ToolResult = "tool.result";

    /// <summary>
    /// Another worker took the running turn over (its worker stopped). Text streamed since the last
    /// <c>message.completed</c> or <c>tool.result</c> is discarded: the step runs again. Data: <see cref="ResumedEventData"/>.
    /// </summary>
    public const string TurnResumed = "turn.resumed";

    /// <summary>What one model call consumed, when the model reports it. Data: <see cref="UsageEventData"/>.</summary>
    public const string Usage = "usage";

    /// <summary>Something went wrong in the turn. Data: <see cref="ErrorEventData"/>.</summary>
    public const string Error = "error";
}
