using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Storage;
using SomaAgent.Security.Access;
using SomaAgent.Security.Identity;

namespace SomaAgent.Security.Keys;

/// <summary>Why a presented key was refused; the caller is told which, never the key.</summary>
public enum ApiKeyRejection
{
    None,
    Malformed,
    Unknown,
    Revoked,
    Expired,
}

/// <summary>A key that proved itself: who it is and what it may do.</summary>
public sealed record ApiKeyIdentity(Guid KeyId, string TenantId, string Name, IReadOnlyList<string> Scopes);

/// <summary>A freshly created key: the record, and the secret that is shown this once and never stored.</summary>
public sealed record CreatedApiKey(ApiKeyRecord Record, string Secret);

/// <summary>
/// Tenants and API keys in the session store. A check reads the store (one indexed row by prefix) unless the key
/// proved itself moments ago (<see cref="ApiKeyVerificationCache"/>); a revocation holds on the replica that made it
/// before the call returns, and on every other replica within a second.
/// </summary>
public sealed class ApiKeyStore(IDbContextFactory<SessionDbContext> dbFactory, IAccessChecker access, TimeProvider time, ApiKeyVerificationCache cache)
{
    /// <summary>How stale <c>last_used_at</c> may get: writing it on every request would cost a commit per request.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<(ApiKeyIdentity? Identity, ApiKeyRejection Rejection)> AuthenticateAsync(string presented, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(presented);
        // The cache first: only keys that proved themselves are in it, and finding the prefix of an operator-chosen
        // secret hashes it, which would hash every request's key twice.
        var hash = ApiKeySecret.Hash(presented);
        var now = time.GetUtcNow().UtcDateTime;
        if (cache.TryGet(hash, now, out var cached))
        {
            if (IsStale(cached.LastUsedAt, now))
            {
                cached.LastUsedAt = now;
                await using var touch = await dbFactory.CreateDbContextAsync(cancellationToken);
                await TouchAsync(touch, cached.Identity.KeyId, now, cancellationToken);
            }
            return (cached.Identity, ApiKeyRejection.None);
        }
        if (ApiKeySecret.PrefixOf(presented) is not { } prefix)
        {
            return (null, ApiKeyRejection.Malformed);
        }
        var evictions = cache.Evictions;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Prefix == prefix, cancellationToken);
        if (key is null || !ApiKeySecret.HashMatches(hash, key.SecretHash))
        {
            return (null, ApiKeyRejection.Unknown);
        }
        if (key.RevokedAt is not null)
        {
            return (null, ApiKeyRejection.Revoked);
        }
        if (key.ExpiresAt is { } expires && expires <= now)
        {
            return (null, ApiKeyRejection.Expired);
        }
        var lastUsed = key.LastUsedAt;
        if (IsStale(lastUsed, now))
        {
            lastUsed = now;
            await TouchAsync(db, key.Id, now, cancellationToken);
        }
        var identity = new ApiKeyIdentity(key.Id, key.TenantId, key.Name, ApiKeyScopes.Split(key.Scopes));
        cache.Add(hash, identity, key.ExpiresAt, lastUsed, evictions);
        return (identity, ApiKeyRejection.None);
    }

    private static bool IsStale(DateTime? lastUsedAt, DateTime now) => lastUsedAt is null || now - lastUsedAt.Value >= LastUsedResolution;

    private static Task<int> TouchAsync(SessionDbContext db, Guid keyId, DateTime now, CancellationToken cancellationToken)
    {
        var staleBefore = now - LastUsedResolution;
        return db.ApiKeys.Where(k => k.Id == keyId && (k.LastUsedAt == null || k.LastUsedAt < staleBefore))
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), cancellationToken);
    }

    public async Task<CreatedApiKey> CreateAsync(string tenantId, string name, IEnumerable<string> scopes, DateTime? expiresAt, string createdBy, CancellationToken cancellationToken)
    {
        var created = NewKey(tenantId, name, scopes, expiresAt, createdBy);
        await access.GrantAsync(tenantId, ResourceRef.ApiKey(created.Record.Id), cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.ApiKeys.Add(created.Record);
        await db.SaveChangesAsync(cancellationToken);
        return created;
    }

    private CreatedApiKey NewKey(string tenantId, string name, IEnumerable<string> scopes, DateTime? expiresAt, string createdBy)
    {
        var (secret, prefix) = ApiKeySecret.Generate();
        var record = new ApiKeyRecord
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Name = name,
            Prefix = prefix,
            SecretHash = ApiKeySecret.Hash(secret),
            Scopes = ApiKeyScopes.Join(scopes),
            CreatedBy = createdBy,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            ExpiresAt = expiresAt?.ToUniversalTime(),
        };
        return new CreatedApiKey(record, secret);
    }

    /// <summary>The tenant's keys, newest first.</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string tenantId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ApiKeys.AsNoTracking().Where(k => k.TenantId == tenantId)
            .OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id).ToListAsync(cancellationToken);
    }

    /// <summary>The tenant's key; null when the tenant has no such key (another tenant's key included).</summary>
    public async Task<ApiKeyRecord?> FindAsync(string tenantId, Guid keyId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == keyId && k.TenantId == tenantId, cancellationToken);
    }

    /// <summary>Revokes the tenant's key; false when the tenant has no such key (another tenant's key included).</summary>
    public async Task<bool> RevokeAsync(string tenantId, Guid keyId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        var found = await db.ApiKeys.AnyAsync(k => k.Id == keyId && k.TenantId == tenantId, cancellationToken);
        if (found)
        {
            // Revoking twice keeps the first time.
            await db.ApiKeys.Where(k => k.Id == keyId && k.TenantId == tenantId && k.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), cancellationToken);
            cache.Evict([keyId]);
        }
        return found;
    }

    /// <summary>
    /// Creates the tenant together with its first <c>tenant:admin</c> key, in one transaction: a tenant never
    /// exists without a way in. Null when the tenant exists.
    /// </summary>
    public async Task<(TenantRecord Tenant, CreatedApiKey AdminKey)?> CreateTenantAsync(string id, string name, string createdBy, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Tenants.AnyAsync(t => t.Id == id, cancellationToken))
        {
            return null;
        }
        var tenant = new TenantRecord { Id = id, Name = name, CreatedAt = time.GetUtcNow().UtcDateTime };
        var admin = NewKey(id, "admin", [ApiKeyScopes.TenantAdmin], expiresAt: null, createdBy);
        await access.GrantAsync(id, ResourceRef.ApiKey(admin.Record.Id), cancellationToken);
        db.Tenants.Add(tenant);
        db.ApiKeys.Add(admin.Record);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another replica created it between the check and the insert.
            return null;
        }
        return (tenant, admin);
    }

    public async Task<TenantRecord?> FindTenantAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
    }

    public async Task<bool> TenantExistsAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Tenants.AnyAsync(t => t.Id == id, cancellationToken);
    }

    public async Task<IReadOnlyList<TenantRecord>> ListTenantsAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Tenants.AsNoTracking().OrderBy(t => t.Id).ToListAsync(cancellationToken);
    }
}
