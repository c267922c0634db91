namespace SomaAgent.Runtime.Storage;

/// <summary>One transcript message. <see cref="Ordinal"/> orders the transcript within a session.</summary>
public sealed class MessageRecord
{
    public Guid SessionId { get; set; }
    public int Ordinal { get; set; }
    public required string TenantId { get; set; }
    public required string CreatedBy { get; set; }
    public int Turn { get; set; }
    public required string Role { get; set; }
    public string Content { get; set; } = "";

    /// <summary>For an assistant message that asked for tools: the calls, as a JSON array.</summary>
    public string? ToolCallsJson { get; set; }

    /// <summary>For a tool message: the call it answers.</summary>
    public string? ToolCallId { get; set; }

    /// <summary>For a tool message: the tool's name.</summary>
    public string? ToolName { get; set; }

    public DateTime CreatedAt { get; set; }
}
