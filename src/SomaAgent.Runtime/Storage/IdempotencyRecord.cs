namespace SomaAgent.Runtime.Storage;

/// <summary>
/// An <c>Idempotency-Key</c> seen on a route, scoped to the tenant. A retry with the same body gets the
/// same resource; the same key with another body is refused.
/// </summary>
public sealed class IdempotencyRecord
{
    public required string TenantId { get; set; }
    public required string Scope { get; set; }
    public required string Key { get; set; }

    /// <summary>SHA-256 (hex) of the canonical request body.</summary>
    public required string RequestHash { get; set; }

    public Guid ResourceId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
}
