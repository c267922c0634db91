namespace SomaAgent.Runtime.Storage;

/// <summary>A session row. Its status, output and error describe the latest turn.</summary>
public sealed class SessionRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string CreatedBy { get; set; }
    public required string Model { get; set; }

    /// <summary>Tool names the session may use, as a JSON array.</summary>
    public required string ToolsJson { get; set; }

    /// <summary>
    /// Model settings a client gave per request through the OpenAI-compatible route, as
    /// <see cref="Sessions.ClientModelOptions"/> JSON: tools the client declares and runs itself, tool choice,
    /// output-token limit and temperature. Null for ordinary sessions.
    /// </summary>
    public string? ClientOptionsJson { get; set; }

    /// <summary>Client metadata, a JSON object of strings.</summary>
    public required string MetadataJson { get; set; }

    public required string Status { get; set; }

    /// <summary>Number of the latest turn, from 1.</summary>
    public int Turn { get; set; }

    /// <summary>Highest event sequence written; the next event gets <c>LastSequence + 1</c>.</summary>
    public long LastSequence { get; set; }

    /// <summary>Assistant text of the latest turn (partial while it runs or when cancelled).</summary>
    public string Output { get; set; } = "";

    /// <summary>Why the latest turn failed or was cancelled.</summary>
    public string? StatusReason { get; set; }

    /// <summary>Set by a cancel request; the worker ends the turn as cancelled when it sees it.</summary>
    public bool CancelRequested { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
