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

    /// <summary>The capsule the session took on (<see cref="Sessions.SessionCapsule"/> JSON), or null.</summary>
    public string? CapsuleJson { get; set; }

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

    /// <summary>The worker instance that runs the latest turn; null when no worker holds it.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Until when <see cref="LeaseOwner"/> holds the turn; after it any worker may take the turn over.</summary>
    public DateTime? LeaseExpiresAt { get; set; }

    /// <summary>
    /// Grows by one at every claim of the session. A worker's writes only land while the epoch is the one
    /// it claimed, so a worker that lost its lease (paused, partitioned) can never write over its successor.
    /// </summary>
    public long LeaseEpoch { get; set; }

    /// <summary>How many workers have started the latest turn; a turn that keeps killing its workers ends failed.</summary>
    public int TurnAttempts { get; set; }

    /// <summary>
    /// How many posted messages wait for the running turn to end (the session's rows of <c>queued_inputs</c>), kept
    /// with those rows in one transaction. On the session row, so the write that ends a turn learns from its own
    /// update whether any input waits: an enqueue updates this row too, so the two are ordered by the row's lock.
    /// </summary>
    public int QueuedInputs { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
