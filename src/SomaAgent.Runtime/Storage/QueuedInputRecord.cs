namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Messages posted with <c>strategy=enqueue</c> (or <c>interrupt</c>) while a turn ran. They wait here, outside
/// the transcript, until the running turn ends; then the oldest becomes the next turn.
/// </summary>
public sealed class QueuedInputRecord
{
    /// <summary>A version-7 guid, so ordering by id is ordering by arrival.</summary>
    public Guid Id { get; set; }

    public Guid SessionId { get; set; }
    public required string TenantId { get; set; }
    public required string CreatedBy { get; set; }

    /// <summary>The posted messages (role and content), as a JSON array.</summary>
    public required string MessagesJson { get; set; }

    public DateTime CreatedAt { get; set; }
}
