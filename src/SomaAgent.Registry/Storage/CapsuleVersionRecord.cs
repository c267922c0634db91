namespace SomaAgent.Registry.Storage;

/// <summary>
/// One published version: the package's digest (its blob in the artifact store, which exists before this row
/// does), the publisher's signature and the key that made it, and what the marketplace shows. Never deleted;
/// yanking only stops new installs.
/// </summary>
public sealed class CapsuleVersionRecord
{
    public required string CapsuleName { get; init; }

    /// <summary>Strict semver, as the manifest gives it.</summary>
    public required string Version { get; init; }

    /// <summary>Lowercase hex SHA-256 of the package: its name in the artifact store.</summary>
    public required string PackageDigest { get; init; }

    public long PackageSize { get; init; }

    /// <summary>ECDSA P-256 over the package bytes, DER, base64.</summary>
    public required string Signature { get; init; }

    /// <summary>The signing key's id (<c>sha256:</c> of its SubjectPublicKeyInfo), registered by the owner.</summary>
    public required string KeyId { get; init; }

    /// <summary>The key-based Sigstore bundle (v0.3) of the package and signature.</summary>
    public required string BundleJson { get; init; }

    /// <summary>The manifest as JSON (snake_case), as lint accepted it.</summary>
    public required string ManifestJson { get; init; }

    /// <summary>The readme the manifest names, when the package has it.</summary>
    public string? Readme { get; init; }

    public required string Description { get; init; }

    public required string Publisher { get; init; }

    /// <summary>The key or user that published it.</summary>
    public required string PublishedBy { get; init; }

    public DateTime CreatedAt { get; init; }

    public long Downloads { get; set; }

    public bool Yanked { get; set; }

    public string? YankReason { get; set; }

    public DateTime? YankedAt { get; set; }
}
