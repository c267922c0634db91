namespace SomaAgent.Runtime.Storage;

/// <summary>One event of a session's append-only log; (SessionId, Sequence) is gapless from 1.</summary>
public sealed class SessionEventRecord
{
    public Guid SessionId { get; set; }
    public long Sequence { get; set; }
    public required string TenantId { get; set; }
    public required string CreatedBy { get; set; }
    public int Turn { get; set; }
    public required string Type { get; set; }

    /// <summary>The event's data as JSON text.</summary>
    public required string DataJson { get; set; }

    public DateTime CreatedAt { get; set; }
}
