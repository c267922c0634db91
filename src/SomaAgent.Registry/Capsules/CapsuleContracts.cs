using System.ComponentModel;
using System.Text.Json;

namespace SomaAgent.Registry.Capsules;

/// <summary>A capsule as search lists it: its latest version's description, publisher and tags.</summary>
public sealed record CapsuleSummary(
    [property: Description("The capsule's global name.")] string Name,
    [property: Description("The highest version not yanked (a release before a pre-release); null when every version is yanked.")] string? LatestVersion,
    string Description,
    [property: Description("The publisher the manifest names.")] string Publisher,
    IReadOnlyList<string> Tags,
    [property: Description("`public` (every tenant finds it) or `private` (its owner only).")] string Visibility,
    [property: Description("Whether the caller's tenant owns the name (and may publish, yank and unyank).")] bool Owned,
    [property: Description("Package downloads of every version.")] long Downloads,
    [property: Description("When a version was last published, yanked or unyanked (UTC).")] DateTime UpdatedAt);

/// <summary>A capsule and its versions, newest first.</summary>
public sealed record CapsuleDetail(
    string Name,
    string? LatestVersion,
    string Description,
    string Publisher,
    IReadOnlyList<string> Tags,
    string Visibility,
    bool Owned,
    long Downloads,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    IReadOnlyList<CapsuleVersionSummary> Versions);

/// <summary>One version in a capsule's list.</summary>
public sealed record CapsuleVersionSummary(
    string Version,
    DateTime CreatedAt,
    long Downloads,
    [property: Description("Yanked: no new installs; existing installations keep working, flagged.")] bool Yanked,
    string? YankReason);

/// <summary>Everything about one version: its manifest and readme, its package's digest, and its signature as the registry verifies it now.</summary>
public sealed record CapsuleVersionDetail(
    string Name,
    string Version,
    [property: Description("The capsule.yaml manifest as JSON.")] JsonElement Manifest,
    [property: Description("The readme the manifest names, when the package has it.")] string? Readme,
    [property: Description("`sha256:` and the package's SHA-256 (hex).")] string Digest,
    [property: Description("The package's size in bytes.")] long Size,
    [property: Description("ECDSA P-256 / SHA-256 signature over the package, DER, base64 (cosign's `.sig`).")] string Signature,
    [property: Description("The signing key's id: `sha256:` of its SubjectPublicKeyInfo.")] string KeyId,
    [property: Description("`valid`; `invalid` (the signature does not match); `key_revoked` (the publisher revoked the key since); `key_unknown` (the publisher no longer has the key).")] string SignatureStatus,
    string Publisher,
    string Description,
    string Visibility,
    DateTime CreatedAt,
    long Downloads,
    bool Yanked,
    string? YankReason,
    DateTime? YankedAt);

/// <summary>Why a version is yanked or unyanked, kept with it and in the audit log.</summary>
public sealed record YankRequest([property: Description("Why, up to 512 characters; shown to every reader of the version.")] string? Reason);
