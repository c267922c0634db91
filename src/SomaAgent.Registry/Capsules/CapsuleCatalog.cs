using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Capsules;
using SomaAgent.Registry.Signing;
using SomaAgent.Registry.Storage;

namespace SomaAgent.Registry.Capsules;

/// <summary>
/// Reads capsules and their versions, counts downloads and yanks. The caller's access to a named capsule is
/// checked before any of these run (<see cref="CapsuleAccess"/>); search applies visibility itself.
/// </summary>
public sealed class CapsuleCatalog(IDbContextFactory<RegistryDbContext> dbFactory, TimeProvider time)
{
    public const string Public = "public";
    public const string Private = "private";

    /// <summary>Public capsules and the tenant's own, by name; <paramref name="query"/> matches names and descriptions.</summary>
    public async Task<Page<CapsuleSummary>> SearchAsync(
        string tenantId, string? query, string? tag, string? publisher, int limit, string? afterName, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var capsules = db.Capsules.AsNoTracking().Where(c => c.IsPublic || c.OwnerTenantId == tenantId);
        if (!string.IsNullOrWhiteSpace(query))
        {
            var text = query.Trim().ToLowerInvariant();
            capsules = capsules.Where(c => c.SearchText.Contains(text));
        }
        if (!string.IsNullOrWhiteSpace(tag))
        {
            var wanted = tag.Trim().ToLowerInvariant();
            capsules = capsules.Where(c => db.CapsuleTags.Any(t => t.Tag == wanted && t.CapsuleName == c.Name));
        }
        if (!string.IsNullOrWhiteSpace(publisher))
        {
            var wanted = publisher.Trim().ToLowerInvariant();
            capsules = capsules.Where(c => c.PublisherKey == wanted);
        }
        if (afterName is not null)
        {
            capsules = capsules.Where(c => c.Name.CompareTo(afterName) > 0);
        }
        var page = await capsules.OrderBy(c => c.Name).Take(limit + 1).ToListAsync(cancellationToken);
        var next = page.Count > limit ? PageCursor.Encode(page[limit - 1].Name) : null;
        return new Page<CapsuleSummary>([.. page.Take(limit).Select(c => Summarize(c, tenantId))], next);
    }

    public async Task<CapsuleDetail?> FindAsync(string tenantId, string name, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Capsules.AsNoTracking().FirstOrDefaultAsync(c => c.Name == name, cancellationToken) is not { } capsule)
        {
            return null;
        }
        var versions = await db.CapsuleVersions.AsNoTracking().Where(v => v.CapsuleName == name)
            .Select(v => new { v.Version, v.CreatedAt, v.Downloads, v.Yanked, v.YankReason })
            .ToListAsync(cancellationToken);
        var summary = Summarize(capsule, tenantId);
        return new CapsuleDetail(
            summary.Name, summary.LatestVersion, summary.Description, summary.Publisher, summary.Tags, summary.Visibility, summary.Owned,
            summary.Downloads, capsule.CreatedAt, capsule.UpdatedAt,
            [.. versions
                .OrderByDescending(v => SemanticVersion.TryParse(v.Version, out var parsed) ? parsed : null)
                .Select(v => new CapsuleVersionSummary(v.Version, v.CreatedAt, v.Downloads, v.Yanked, v.YankReason))]);
    }

    /// <summary>The version with its signature verified now against the owner's keys; null when there is no such version.</summary>
    public async Task<CapsuleVersionDetail?> FindVersionAsync(string name, string version, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await (from row in db.CapsuleVersions.AsNoTracking()
                           join c in db.Capsules.AsNoTracking() on row.CapsuleName equals c.Name
                           where row.CapsuleName == name && row.Version == version
                           select new { Version = row, c.OwnerTenantId, c.IsPublic }).FirstOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return null;
        }
        var v = found.Version;
        var key = await db.SigningKeys.AsNoTracking().FirstOrDefaultAsync(k => k.TenantId == found.OwnerTenantId && k.KeyId == v.KeyId, cancellationToken);
        using var manifest = JsonDocument.Parse(v.ManifestJson);
        return new CapsuleVersionDetail(
            v.CapsuleName, v.Version, manifest.RootElement.Clone(), v.Readme, "sha256:" + v.PackageDigest, v.PackageSize, v.Signature, v.KeyId,
            SignatureStatus.Of(v.PackageDigest, v.Signature, key), v.Publisher, v.Description, found.IsPublic ? Public : Private,
            v.CreatedAt, v.Downloads, v.Yanked, v.YankReason, v.YankedAt);
    }

    /// <summary>The stored row of a version (for its package, signature and bundle), or null.</summary>
    public async Task<CapsuleVersionRecord?> FindVersionRecordAsync(string name, string version, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.CapsuleVersions.AsNoTracking().FirstOrDefaultAsync(v => v.CapsuleName == name && v.Version == version, cancellationToken);
    }

    /// <summary>Counts one package download of the version and of its capsule.</summary>
    public async Task CountDownloadAsync(string name, string version, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.CapsuleVersions.Where(v => v.CapsuleName == name && v.Version == version)
            .ExecuteUpdateAsync(v => v.SetProperty(x => x.Downloads, x => x.Downloads + 1), cancellationToken);
        await db.Capsules.Where(c => c.Name == name)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.Downloads, x => x.Downloads + 1), cancellationToken);
    }

    /// <summary>Yanks or unyanks the version and moves the capsule's latest version accordingly; false when there is no such version.</summary>
    public async Task<bool> SetYankedAsync(string name, string version, bool yanked, string? reason, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var row = await db.CapsuleVersions.FirstOrDefaultAsync(v => v.CapsuleName == name && v.Version == version, cancellationToken);
        var capsule = await db.Capsules.FirstOrDefaultAsync(c => c.Name == name, cancellationToken);
        if (row is null || capsule is null)
        {
            return false;
        }
        var now = time.GetUtcNow().UtcDateTime;
        row.Yanked = yanked;
        row.YankReason = reason;
        row.YankedAt = yanked ? now : null;
        await db.SaveChangesAsync(cancellationToken);
        await RefreshLatestAsync(db, capsule, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Points the capsule at its latest version and shows that version's description, publisher and tags (the rows
    /// search reads). Part of the caller's transaction.
    /// </summary>
    internal static async Task RefreshLatestAsync(RegistryDbContext db, CapsuleRecord capsule, DateTime now, CancellationToken cancellationToken)
    {
        var versions = await db.CapsuleVersions.Where(v => v.CapsuleName == capsule.Name)
            .Select(v => new { v.Version, v.Yanked }).ToListAsync(cancellationToken);
        capsule.LatestVersion = SemanticVersion.LatestOf(versions.Select(v => (v.Version, v.Yanked)));
        capsule.UpdatedAt = now;
        var shown = capsule.LatestVersion
            ?? versions.Select(v => v.Version).OrderByDescending(v => SemanticVersion.TryParse(v, out var parsed) ? parsed : null).First();
        var latest = await db.CapsuleVersions.AsNoTracking().FirstAsync(v => v.CapsuleName == capsule.Name && v.Version == shown, cancellationToken);
        capsule.Description = latest.Description;
        capsule.Publisher = latest.Publisher;
        capsule.PublisherKey = latest.Publisher.ToLowerInvariant();
        capsule.SearchText = $"{capsule.Name} {latest.Description}".ToLowerInvariant();
        var tags = TagsOf(latest.ManifestJson);
        capsule.Tags = string.Join(' ', tags);
        await db.CapsuleTags.Where(t => t.CapsuleName == capsule.Name).ExecuteDeleteAsync(cancellationToken);
        db.CapsuleTags.AddRange(tags.Select(t => new CapsuleTagRecord { Tag = t, CapsuleName = capsule.Name }));
        await db.SaveChangesAsync(cancellationToken);
    }

    private static List<string> TagsOf(string manifestJson)
    {
        using var manifest = JsonDocument.Parse(manifestJson);
        return manifest.RootElement.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? [.. tags.EnumerateArray().Select(t => t.GetString()!.ToLowerInvariant()).Distinct(StringComparer.Ordinal)]
            : [];
    }

    private static CapsuleSummary Summarize(CapsuleRecord capsule, string tenantId) => new(
        capsule.Name,
        capsule.LatestVersion,
        capsule.Description,
        capsule.Publisher,
        capsule.Tags.Length == 0 ? [] : capsule.Tags.Split(' '),
        capsule.IsPublic ? Public : Private,
        capsule.OwnerTenantId == tenantId,
        capsule.Downloads,
        capsule.UpdatedAt);
}
