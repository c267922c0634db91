using System.ComponentModel;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Registry.Storage;

namespace SomaAgent.Registry.Signing;

/// <summary>A tenant's publisher key as the API shows it.</summary>
public sealed record SigningKeyInfo(
    [property: Description("`sha256:` and the hex SHA-256 of the key's SubjectPublicKeyInfo; what `key_id` of a publish names.")] string KeyId,
    string Name,
    [property: Description("Always `ecdsa-p256-sha256`.")] string Algorithm,
    [property: Description("The public key, PEM.")] string PublicKey,
    [property: Description("`active`, or `revoked`: its signatures no longer verify for installs.")] string Status,
    DateTime CreatedAt,
    DateTime? RevokedAt)
{
    public const string AlgorithmName = "ecdsa-p256-sha256";

    public static SigningKeyInfo From(SigningKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(key.KeyId, key.Name, AlgorithmName, key.PublicKeyPem, key.RevokedAt is null ? "active" : "revoked", key.CreatedAt, key.RevokedAt);
    }
}

/// <summary>What registering a key came to.</summary>
public enum KeyRegistration
{
    Registered,
    Exists,
    Revoked,
}

/// <summary>The tenants' publisher keys. A key id is the same wherever the key is registered; each tenant registers its own.</summary>
public sealed class SigningKeyStore(IDbContextFactory<RegistryDbContext> dbFactory, TimeProvider time)
{
    public async Task<(KeyRegistration Outcome, SigningKeyRecord Key)> RegisterAsync(
        string tenantId, string name, string pem, string keyId, string createdBy, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.SigningKeys.AsNoTracking().FirstOrDefaultAsync(k => k.TenantId == tenantId && k.KeyId == keyId, cancellationToken) is { } existing)
        {
            return (existing.RevokedAt is null ? KeyRegistration.Exists : KeyRegistration.Revoked, existing);
        }
        var key = new SigningKeyRecord
        {
            TenantId = tenantId,
            KeyId = keyId,
            Name = name,
            PublicKeyPem = pem,
            CreatedBy = createdBy,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.SigningKeys.Add(key);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same key registered by a concurrent request.
            if (await FindAsync(tenantId, keyId, cancellationToken) is { } raced)
            {
                return (raced.RevokedAt is null ? KeyRegistration.Exists : KeyRegistration.Revoked, raced);
            }
            throw;
        }
        return (KeyRegistration.Registered, key);
    }

    /// <summary>The tenant's key with this id, revoked or not.</summary>
    public async Task<SigningKeyRecord?> FindAsync(string tenantId, string keyId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.SigningKeys.AsNoTracking().FirstOrDefaultAsync(k => k.TenantId == tenantId && k.KeyId == keyId, cancellationToken);
    }

    /// <summary>The tenant's keys, oldest first (revoked ones too, marked).</summary>
    public async Task<Page<SigningKeyInfo>> ListAsync(string tenantId, int limit, string[]? after, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.SigningKeys.AsNoTracking().Where(k => k.TenantId == tenantId);
        if (after is [var ticks, var keyId] && long.TryParse(ticks, out var t))
        {
            var at = new DateTime(t, DateTimeKind.Utc);
            query = query.Where(k => k.CreatedAt > at || (k.CreatedAt == at && k.KeyId.CompareTo(keyId) > 0));
        }
        var page = await query.OrderBy(k => k.CreatedAt).ThenBy(k => k.KeyId).Take(limit + 1).ToListAsync(cancellationToken);
        var next = page.Count > limit
            ? PageCursor.Encode(page[limit - 1].CreatedAt.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), page[limit - 1].KeyId)
            : null;
        return new Page<SigningKeyInfo>([.. page.Take(limit).Select(SigningKeyInfo.From)], next);
    }

    /// <summary>Revokes the key; false when the tenant has no such active key.</summary>
    public async Task<bool> RevokeAsync(string tenantId, string keyId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        return await db.SigningKeys
            .Where(k => k.TenantId == tenantId && k.KeyId == keyId && k.RevokedAt == null)
            .ExecuteUpdateAsync(k => k.SetProperty(x => x.RevokedAt, now), cancellationToken) == 1;
    }

}
