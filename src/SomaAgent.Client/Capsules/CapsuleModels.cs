using System.Text.Json;

namespace SomaAgent.Client.Capsules;

public sealed record CapsuleSummary(string Name, string? LatestVersion, string Description, string Publisher, IReadOnlyList<string> Tags,
    string Visibility, bool Owned, long Downloads, DateTime UpdatedAt);

public sealed record CapsuleVersionSummary(string Version, DateTime CreatedAt, long Downloads, bool Yanked, string? YankReason);

public sealed record CapsuleDetail(string Name, string? LatestVersion, string Description, string Publisher, IReadOnlyList<string> Tags,
    string Visibility, bool Owned, long Downloads, DateTime CreatedAt, DateTime UpdatedAt, IReadOnlyList<CapsuleVersionSummary> Versions);

/// <summary>A capsule version: its manifest, readme, digest, and its signature as the registry verifies it now.</summary>
public sealed record CapsuleVersion(string Name, string Version, JsonElement Manifest, string? Readme, string Digest, long Size,
    string Signature, string KeyId, string SignatureStatus, string Publisher, string Description, string Visibility,
    DateTime CreatedAt, long Downloads, bool Yanked, string? YankReason, DateTime? YankedAt);

public sealed record SigningKeyInfo(string KeyId, string Name, string Algorithm, string PublicKey, string Status, DateTime CreatedAt, DateTime? RevokedAt);

public sealed record InstallationInfo(Guid Id, string Capsule, string Version, string Status, bool Yanked, string? YankReason,
    string SignatureStatus, string Digest, DateTime CreatedAt);

/// <summary>A capsule version to publish: the package, its signature (base64 DER) and the registered key that made it.</summary>
public sealed record PublishCapsuleRequest(byte[] Package, string Signature, string KeyId, bool Public = true);

internal sealed record RegisterSigningKeyBody(string Name, string PublicKey);

internal sealed record YankBody(string? Reason);

internal sealed record InstallBody(string Capsule, string? Version);
