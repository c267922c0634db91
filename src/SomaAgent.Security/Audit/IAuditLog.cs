namespace SomaAgent.Security.Audit;

/// <summary>Where security decisions are recorded for the operator: append-only, one entry per decision.</summary>
public interface IAuditLog
{
    /// <summary>Queues <paramref name="entry"/>; it is on disk within milliseconds, and on stop before the host exits.</summary>
    ValueTask WriteAsync(AuditEntry entry, CancellationToken cancellationToken = default);
}
