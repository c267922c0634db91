using System.ComponentModel;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Gateway.Security;

/// <summary>Body of <c>POST /v1/keys</c>.</summary>
public sealed record CreateKeyRequest(
    [property: Description("A name people recognise the key by, 1 to 128 characters.")] string? Name,
    [property: Description("What the key may do: `tenant:admin`, `sessions:read`, `sessions:write`, `models:read`, `capsules:read`, `capsules:publish`, `capsules:install` (`platform:admin` only by a platform admin). A key cannot get a scope its creator lacks.")] IReadOnlyList<string>? Scopes,
    [property: Description("When the key stops working (ISO 8601, in the future). Default: never.")] DateTimeOffset? ExpiresAt);

/// <summary>An API key as listed: never its secret.</summary>
public sealed record KeyInfo(
    [property: Description("The key id: the subject recorded on what the key does.")] Guid Id,
    [property: Description("The tenant the key belongs to.")] string TenantId,
    [property: Description("The key's name.")] string Name,
    [property: Description("The public part of the key (`sk_<prefix>_…`), to recognise it.")] string Prefix,
    [property: Description("The scopes the key carries.")] IReadOnlyList<string> Scopes,
    [property: Description("When it was created.")] DateTime CreatedAt,
    [property: Description("When it was last used, to the minute; null if never.")] DateTime? LastUsedAt,
    [property: Description("When it expires; null if never.")] DateTime? ExpiresAt,
    [property: Description("When it was revoked; null while it is valid.")] DateTime? RevokedAt)
{
    public static KeyInfo From(ApiKeyRecord key) => new(key.Id, key.TenantId, key.Name, key.Prefix,
        SomaAgent.Security.Identity.ApiKeyScopes.Split(key.Scopes), key.CreatedAt, key.LastUsedAt, key.ExpiresAt, key.RevokedAt);
}

/// <summary>A new key: the only response that ever carries its secret.</summary>
public sealed record KeyCreated(
    [property: Description("The key's id, name, prefix and scopes.")] KeyInfo Key,
    [property: Description("The secret, shown this once: send it as `Authorization: Bearer <secret>` or `X-API-Key`. Only its hash is stored.")] string Secret);

/// <summary>The tenant's keys, newest first, revoked ones included.</summary>
public sealed record KeyList(
    [property: Description("The keys.")] IReadOnlyList<KeyInfo> Data);

/// <summary>Body of <c>POST /v1/tenants</c>.</summary>
public sealed record CreateTenantRequest(
    [property: Description("The tenant id: 1 to 63 lower-case letters, digits and dashes, starting with a letter or digit.")] string? Id,
    [property: Description("A display name. Default: the id.")] string? Name);

public sealed record TenantInfo(
    [property: Description("The tenant id, sent as `X-Tenant-Id` by a platform admin acting for it.")] string Id,
    [property: Description("The display name.")] string Name,
    [property: Description("When it was created.")] DateTime CreatedAt);

/// <summary>A new tenant with its first admin key.</summary>
public sealed record TenantCreated(
    [property: Description("The tenant.")] TenantInfo Tenant,
    [property: Description("Its first key, scope `tenant:admin`; the secret is shown this once.")] KeyCreated AdminKey);

public sealed record TenantList(
    [property: Description("The tenants, by id.")] IReadOnlyList<TenantInfo> Data);
