using System.ComponentModel.DataAnnotations;

namespace SomaAgent.Runtime.Conversations;

/// <summary>Limits of the agent loop (section <c>SomaAgent:Conversations</c>).</summary>
public sealed class ConversationOptions
{
    public const string SectionName = "SomaAgent:Conversations";

    /// <summary>Model calls one turn may make (each tool round trip is one more). Default 8.</summary>
    [Range(1, 64)]
    public int MaxStepsPerTurn { get; set; } = 8;

    /// <summary>How long a turn waits for a tool result before it treats the call as failed. Default 60 s.</summary>
    [Range(1, 3600)]
    public int ToolResultTimeoutSeconds { get; set; } = 60;

    /// <summary>Turns one worker runs at once; more wait in the queue. Default 256.</summary>
    [Range(1, 100_000)]
    public int MaxConcurrentTurns { get; set; } = 256;
}
