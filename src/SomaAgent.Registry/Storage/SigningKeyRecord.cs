namespace SomaAgent.Registry.Storage;

/// <summary>
/// A publisher's public key a tenant registered. Revoking keeps the row (so a version signed with it can say its
/// key was revoked) and makes every signature it made stop verifying for installs.
/// </summary>
public sealed class SigningKeyRecord
{
    public required string TenantId { get; init; }

    /// <summary><c>sha256:</c> and the hex SHA-256 of the key's SubjectPublicKeyInfo.</summary>
    public required string KeyId { get; init; }

    public required string Name { get; init; }

    /// <summary>The public key, PEM (SubjectPublicKeyInfo).</summary>
    public required string PublicKeyPem { get; init; }

    public required string CreatedBy { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime? RevokedAt { get; set; }
}
