namespace SomaAgent.Runtime.Storage;

/// <summary>
/// An API key of a tenant. Only the SHA-256 of the secret is kept: a leaked table gives no usable key.
/// Keys are never deleted, only revoked, so the audit trail keeps naming them.
/// </summary>
public sealed class ApiKeyRecord
{
    public Guid Id { get; set; }
    public required string TenantId { get; set; }
    public required string Name { get; set; }

    /// <summary>The public part of the key (<c>sk_&lt;prefix&gt;_…</c>), unique: how a presented key is found and how people recognise it.</summary>
    public required string Prefix { get; set; }

    /// <summary>SHA-256 (32 bytes) of the whole key string.</summary>
    public required byte[] SecretHash { get; set; }

    /// <summary>Space-separated scopes, such as <c>sessions:read sessions:write</c>.</summary>
    public required string Scopes { get; set; }

    /// <summary>Who created it: a key id, or <c>bootstrap</c>.</summary>
    public required string CreatedBy { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}
