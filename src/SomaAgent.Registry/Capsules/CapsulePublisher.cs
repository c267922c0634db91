using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Capsules;
using SomaAgent.Registry.Artifacts;
using SomaAgent.Registry.Signing;
using SomaAgent.Registry.Storage;
using SomaAgent.Security.Access;
using SomaAgent.Security.Problems;

namespace SomaAgent.Registry.Capsules;

/// <summary>A publish as the API received it; the package is read as often as checking it takes.</summary>
public sealed record PublishRequest(Func<Stream> OpenPackage, long Size, string Signature, string KeyId, bool IsPublic);

/// <summary>What a publish came to.</summary>
public abstract record PublishOutcome
{
    private PublishOutcome()
    {
    }

    public sealed record Published(string Name, string Version, string Digest) : PublishOutcome;

    /// <summary>Refused; nothing was stored. <paramref name="Problems"/> lists every manifest problem when that is why.</summary>
    public sealed record Refused(ProblemKind Kind, string Detail, IReadOnlyList<LintProblem>? Problems = null) : PublishOutcome;
}

/// <summary>
/// Publishes a capsule version: the package must unpack safely and hold a manifest that lints clean, the name must be
/// free or the caller's tenant's, the version new, and the signature must verify with one of the tenant's active
/// keys. Only then is the package stored, and the version committed pointing at it.
/// </summary>
public sealed class CapsulePublisher(
    IDbContextFactory<RegistryDbContext> dbFactory, BlobIndex blobs, SigningKeyStore keys, IAccessChecker access, TimeProvider time)
{
    private static readonly JsonSerializerOptions ManifestJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task<PublishOutcome> PublishAsync(PublishRequest request, string tenantId, string publishedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        CapsulePackage package;
        byte[] digest;
        await using (var content = request.OpenPackage())
        {
            try
            {
                package = CapsulePackage.Read(content);
            }
            catch (CapsulePackageException ex)
            {
                return new PublishOutcome.Refused(ProblemCatalog.InvalidCapsule, ex.Message);
            }
        }
        await using (var content = request.OpenPackage())
        {
            digest = await SHA256.HashDataAsync(content, cancellationToken);
        }
        var lint = CapsuleLint.Check(package.ManifestYaml);
        if (lint.Manifest is not { } manifest)
        {
            return new PublishOutcome.Refused(ProblemCatalog.InvalidCapsule,
                $"capsule.yaml has {lint.Problems.Count} problem(s): " + string.Join(" ", lint.Problems.Select(Describe)), lint.Problems);
        }
        string? readme = null;
        if (manifest.Readme is { } readmePath && !package.TextFiles.TryGetValue(readmePath, out readme))
        {
            return new PublishOutcome.Refused(ProblemCatalog.InvalidCapsule,
                package.Files.Any(f => f.Path == readmePath)
                    ? $"The readme '{readmePath}' must be a markdown (.md) file of at most 1 MiB."
                    : $"capsule.yaml names the readme '{readmePath}', which is not in the package.",
                [new LintProblem("readme", null, "The file is not in the package, or is not markdown.")]);
        }

        if (await RefusalForNameAsync(manifest.Name, manifest.Version, tenantId, cancellationToken) is { } taken)
        {
            return taken;
        }
        if (await RefusalForSignatureAsync(digest, request.Signature, request.KeyId, tenantId, cancellationToken) is { } rejected)
        {
            return rejected;
        }

        var hex = Convert.ToHexStringLower(digest);
        var version = new CapsuleVersionRecord
        {
            CapsuleName = manifest.Name,
            Version = manifest.Version,
            PackageDigest = hex,
            PackageSize = request.Size,
            Signature = request.Signature.Trim(),
            KeyId = request.KeyId,
            BundleJson = SigstoreBundle.FromDigest(digest, Convert.FromBase64String(request.Signature.Trim()), request.KeyId),
            ManifestJson = JsonSerializer.Serialize(manifest, ManifestJson),
            Readme = readme,
            Description = manifest.Description,
            Publisher = manifest.Publisher,
            PublishedBy = publishedBy,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        await blobs.StoreAsync(request.OpenPackage, hex, request.Size, cancellationToken);
        if (await CommitAsync(version, tenantId, request, cancellationToken) is { } lost)
        {
            // Another publish of the same name or version committed first; the stored blob is the janitor's.
            return lost;
        }
        var capsule = new ResourceRef(ResourceTypes.Capsule, manifest.Name);
        await access.GrantAsync(tenantId, capsule, cancellationToken);
        await access.SetPublicAsync(capsule, request.IsPublic, cancellationToken);
        return new PublishOutcome.Published(manifest.Name, manifest.Version, hex);
    }

    private async Task<PublishOutcome.Refused?> CommitAsync(CapsuleVersionRecord version, string tenantId, PublishRequest request, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (!await blobs.ClaimAsync(db, version.PackageDigest, cancellationToken))
            {
                // The janitor is removing these very bytes (an earlier publish of them failed): store them again.
                await transaction.RollbackAsync(cancellationToken);
                await blobs.StoreAsync(request.OpenPackage, version.PackageDigest, version.PackageSize, cancellationToken);
                continue;
            }
            var capsule = await db.Capsules.FirstOrDefaultAsync(c => c.Name == version.CapsuleName, cancellationToken);
            if (capsule is null)
            {
                capsule = new CapsuleRecord { Name = version.CapsuleName, OwnerTenantId = tenantId, CreatedBy = version.PublishedBy, CreatedAt = version.CreatedAt };
                db.Capsules.Add(capsule);
            }
            else if (capsule.OwnerTenantId != tenantId)
            {
                return NameTaken(version.CapsuleName);
            }
            capsule.IsPublic = request.IsPublic;
            db.CapsuleVersions.Add(version);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await CapsuleCatalog.RefreshLatestAsync(db, capsule, version.CreatedAt, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return null;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                await transaction.RollbackAsync(cancellationToken);
                if (await RefusalForNameAsync(version.CapsuleName, version.Version, tenantId, cancellationToken) is { } refused)
                {
                    return refused;
                }
            }
        }
        throw new ArtifactStoreUnavailableException($"The package sha256 {version.PackageDigest} could not be kept while the janitor removed an earlier copy; retry the publish.");
    }

    private async Task<PublishOutcome.Refused?> RefusalForNameAsync(string name, string version, string tenantId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var owner = await db.Capsules.AsNoTracking().Where(c => c.Name == name).Select(c => c.OwnerTenantId).FirstOrDefaultAsync(cancellationToken);
        if (owner is not null && owner != tenantId)
        {
            return NameTaken(name);
        }
        return await db.CapsuleVersions.AnyAsync(v => v.CapsuleName == name && v.Version == version, cancellationToken)
            ? new PublishOutcome.Refused(ProblemCatalog.CapsuleVersionExists,
                $"{name} {version} is published already, and a published version never changes. Publish it under a new version.")
            : null;
    }

    private async Task<PublishOutcome.Refused?> RefusalForSignatureAsync(byte[] digest, string signature, string keyId, string tenantId, CancellationToken cancellationToken)
    {
        var key = await keys.FindAsync(tenantId, keyId, cancellationToken);
        if (key is null)
        {
            return new PublishOutcome.Refused(ProblemCatalog.SignatureRejected,
                $"The signing key '{ProblemWriter.Truncate(keyId, 80)}' is not registered for this tenant; register its public key with POST /v1/signing-keys first.");
        }
        if (key.RevokedAt is not null)
        {
            return new PublishOutcome.Refused(ProblemCatalog.SignatureRejected,
                $"The signing key {keyId} was revoked on {key.RevokedAt:u}; sign with an active key.");
        }
        using var publicKey = CapsuleSignatures.ReadPublicKey(key.PublicKeyPem);
        return CapsuleSignatures.VerifyDigest(digest, signature, publicKey) switch
        {
            SignatureCheck.Valid => null,
            SignatureCheck.Malformed => new PublishOutcome.Refused(ProblemCatalog.SignatureRejected,
                "The signature is not a base64 DER-encoded ECDSA signature (what `openssl dgst -sha256 -sign key.pem package.tar.gz | base64 -w0` and `cosign sign-blob` give)."),
            _ => new PublishOutcome.Refused(ProblemCatalog.SignatureRejected,
                $"The signature does not verify over this package with the key {keyId}: the package changed after it was signed, or another key signed it."),
        };
    }

    private static PublishOutcome.Refused NameTaken(string name) =>
        new(ProblemCatalog.CapsuleNameTaken, $"The capsule name '{name}' belongs to another tenant; names are global. Choose another name.");

    private static string Describe(LintProblem problem) =>
        $"{(problem.Path.Length == 0 ? "capsule.yaml" : problem.Path)}{(problem.Line is { } line ? $" (line {line})" : "")}: {problem.Message}";
}
