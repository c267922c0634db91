using System.ComponentModel;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Capsules;
using SomaAgent.Registry.Artifacts;
using SomaAgent.Registry.Signing;
using SomaAgent.Registry.Storage;
using SomaAgent.Security.Access;
using SomaAgent.Security.Problems;

namespace SomaAgent.Registry.Installations;

/// <summary>A capsule version installed for the tenant, and whether it is still in good standing.</summary>
public sealed record InstallationInfo(
    Guid Id,
    [property: Description("The capsule's name.")] string Capsule,
    string Version,
    [property: Description("`active`; `yanked` (the publisher yanked the version since: it keeps working, flagged); `signature_invalid` (its signature no longer verifies, e.g. the key was revoked).")] string Status,
    bool Yanked,
    string? YankReason,
    [property: Description("The version's signature as the registry verifies it now: `valid`, `invalid`, `key_revoked` or `key_unknown`.")] string SignatureStatus,
    [property: Description("`sha256:` and the installed package's SHA-256.")] string Digest,
    DateTime CreatedAt);

/// <summary>
/// An installed capsule version as a session takes it on: the installation, its standing now, and the manifest's
/// system prompt, tools and limits (the <c>manifest</c> object, snake_case as in <c>capsule.yaml</c>).
/// </summary>
public sealed record ResolvedCapsule(
    Guid InstallationId,
    string Capsule,
    string Version,
    [property: Description("`sha256:` and the package's SHA-256.")] string Digest,
    string Status,
    bool Yanked,
    string? YankReason,
    string SignatureStatus,
    System.Text.Json.JsonElement Manifest);

/// <summary>What an install came to.</summary>
public abstract record InstallOutcome
{
    private InstallOutcome()
    {
    }

    public sealed record Installed(InstallationInfo Installation) : InstallOutcome;

    public sealed record Refused(ProblemKind Kind, string Detail) : InstallOutcome;
}

/// <summary>
/// The tenants' installations. An install checks what a session will rely on: the version exists, is not yanked,
/// its package is stored, and its signature verifies now with its publisher's active key.
/// </summary>
public sealed class InstallationStore(IDbContextFactory<RegistryDbContext> dbFactory, IArtifactStore store, IAccessChecker access, TimeProvider time)
{
    public const string Active = "active";
    public const string YankedStatus = "yanked";
    public const string SignatureInvalid = "signature_invalid";

    /// <param name="version">Null for the capsule's latest version.</param>
    public async Task<InstallOutcome> InstallAsync(string tenantId, string name, string? version, string createdBy, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Capsules.AsNoTracking().FirstOrDefaultAsync(c => c.Name == name, cancellationToken) is not { } capsule)
        {
            return new InstallOutcome.Refused(ProblemCatalog.CapsuleNotFound, $"No capsule '{ProblemWriter.Truncate(name)}' is visible to this tenant.");
        }
        version ??= capsule.LatestVersion;
        if (version is null)
        {
            return new InstallOutcome.Refused(ProblemCatalog.CapsuleYanked, $"Every version of '{name}' is yanked; there is nothing to install.");
        }
        if (await db.CapsuleVersions.AsNoTracking().FirstOrDefaultAsync(v => v.CapsuleName == name && v.Version == version, cancellationToken) is not { } found)
        {
            return new InstallOutcome.Refused(ProblemCatalog.CapsuleNotFound, $"No version '{ProblemWriter.Truncate(version)}' of the capsule '{name}' is visible to this tenant.");
        }
        if (found.Yanked)
        {
            return new InstallOutcome.Refused(ProblemCatalog.CapsuleYanked,
                $"{name} {version} is yanked{(found.YankReason is null ? "" : $" ({found.YankReason})")}: it cannot be installed any more. Install {(capsule.LatestVersion is { } latest ? $"{latest}, the latest version" : "another version")}.");
        }
        var key = await db.SigningKeys.AsNoTracking().FirstOrDefaultAsync(k => k.TenantId == capsule.OwnerTenantId && k.KeyId == found.KeyId, cancellationToken);
        var signature = SignatureStatus.Of(found.PackageDigest, found.Signature, key);
        if (signature != SignatureStatus.Valid)
        {
            return new InstallOutcome.Refused(ProblemCatalog.SignatureRejected, signature switch
            {
                SignatureStatus.KeyRevoked => $"{name} {version} was signed with the key {found.KeyId}, which its publisher revoked; it cannot be installed. Ask the publisher for a version signed with an active key.",
                SignatureStatus.KeyUnknown => $"{name} {version} was signed with the key {found.KeyId}, which its publisher no longer has; it cannot be installed.",
                _ => $"The signature of {name} {version} does not verify over its package; it cannot be installed.",
            });
        }
        if (!await store.ExistsAsync(found.PackageDigest, cancellationToken))
        {
            throw new ArtifactStoreUnavailableException($"The package sha256 {found.PackageDigest} of {name} {version} is not in the artifact store.");
        }
        if (await db.Installations.AsNoTracking().FirstOrDefaultAsync(i => i.TenantId == tenantId && i.CapsuleName == name && i.Version == version, cancellationToken) is { } existing)
        {
            return new InstallOutcome.Refused(ProblemCatalog.InstallationExists, $"{name} {version} is installed already for this tenant, as installation {existing.Id}.");
        }

        var installation = new InstallationRecord
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            TenantId = tenantId,
            CapsuleName = name,
            Version = version,
            CreatedBy = createdBy,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        // The owner relation first: an installation never exists without it.
        await access.GrantAsync(tenantId, new ResourceRef(ResourceTypes.CapsuleInstallation, installation.Id.ToString()), cancellationToken);
        db.Installations.Add(installation);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return new InstallOutcome.Refused(ProblemCatalog.InstallationExists, $"{name} {version} is installed already for this tenant.");
        }
        return new InstallOutcome.Installed(Describe(installation, found, signature));
    }

    /// <summary>
    /// The tenant's installation of <paramref name="name"/> (of <paramref name="version"/>, or the highest version
    /// installed) with its manifest, or null when the tenant has not installed it. Standing is reported, not judged:
    /// the caller decides what a yanked or no longer verified version means for it.
    /// </summary>
    public async Task<ResolvedCapsule?> ResolveAsync(string tenantId, string name, string? version, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var installed = await Query(db, tenantId).Where(r => r.Installation.CapsuleName == name && (version == null || r.Installation.Version == version))
            .ToListAsync(cancellationToken);
        var chosen = installed.MaxBy(r => SemanticVersion.TryParse(r.Installation.Version, out var parsed) ? parsed : null);
        if (chosen is null)
        {
            return null;
        }
        var info = Describe(chosen);
        using var manifest = System.Text.Json.JsonDocument.Parse(chosen.Version.ManifestJson);
        return new ResolvedCapsule(info.Id, info.Capsule, info.Version, info.Digest, info.Status, info.Yanked, info.YankReason, info.SignatureStatus,
            manifest.RootElement.Clone());
    }

    public async Task<InstallationInfo?> FindAsync(string tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await Query(db, tenantId).Where(r => r.Installation.Id == id).ToListAsync(cancellationToken)).Select(Describe).FirstOrDefault();
    }

    /// <summary>The tenant's installations, newest first.</summary>
    public async Task<Page<InstallationInfo>> ListAsync(string tenantId, int limit, string[]? after, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = Query(db, tenantId);
        if (after is [var ticks, var id] && long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var t) && Guid.TryParse(id, out var lastId))
        {
            var at = new DateTime(t, DateTimeKind.Utc);
            query = query.Where(r => r.Installation.CreatedAt < at || (r.Installation.CreatedAt == at && r.Installation.Id.CompareTo(lastId) < 0));
        }
        var page = await query.OrderByDescending(r => r.Installation.CreatedAt).ThenByDescending(r => r.Installation.Id)
            .Take(limit + 1).ToListAsync(cancellationToken);
        var next = page.Count > limit
            ? PageCursor.Encode(page[limit - 1].Installation.CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture), page[limit - 1].Installation.Id.ToString())
            : null;
        return new Page<InstallationInfo>([.. page.Take(limit).Select(Describe)], next);
    }

    /// <summary>Removes the installation; false when the tenant has none with this id.</summary>
    public async Task<bool> DeleteAsync(string tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Installations.Where(i => i.TenantId == tenantId && i.Id == id).ExecuteDeleteAsync(cancellationToken) == 1;
    }

    private static IQueryable<InstalledVersion> Query(RegistryDbContext db, string tenantId) =>
        from i in db.Installations.AsNoTracking()
        where i.TenantId == tenantId
        join v in db.CapsuleVersions.AsNoTracking() on new { Name = i.CapsuleName, i.Version } equals new { Name = v.CapsuleName, v.Version }
        join c in db.Capsules.AsNoTracking() on i.CapsuleName equals c.Name
        from k in db.SigningKeys.AsNoTracking().Where(k => k.TenantId == c.OwnerTenantId && k.KeyId == v.KeyId).DefaultIfEmpty()
        select new InstalledVersion { Installation = i, Version = v, Key = k };

    private static InstallationInfo Describe(InstalledVersion row) =>
        Describe(row.Installation, row.Version, SignatureStatus.Of(row.Version.PackageDigest, row.Version.Signature, row.Key));

    private static InstallationInfo Describe(InstallationRecord installation, CapsuleVersionRecord version, string signature) => new(
        installation.Id,
        installation.CapsuleName,
        installation.Version,
        version.Yanked ? YankedStatus : signature == SignatureStatus.Valid ? Active : SignatureInvalid,
        version.Yanked,
        version.YankReason,
        signature,
        "sha256:" + version.PackageDigest,
        installation.CreatedAt);

    // Initialised by members, not a constructor, so the query can still filter and order on them.
    private sealed class InstalledVersion
    {
        public required InstallationRecord Installation { get; init; }

        public required CapsuleVersionRecord Version { get; init; }

        public SigningKeyRecord? Key { get; init; }
    }
}
