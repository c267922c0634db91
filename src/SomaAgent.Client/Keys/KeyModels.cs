namespace SomaAgent.Client.Keys;

/// <summary>An API key as listed: never its secret.</summary>
public sealed record KeyInfo(Guid Id, string TenantId, string Name, string Prefix, IReadOnlyList<string> Scopes,
    DateTime CreatedAt, DateTime? LastUsedAt, DateTime? ExpiresAt, DateTime? RevokedAt);

/// <summary>A new key and its secret, which is shown this once.</summary>
public sealed record KeyCreated(KeyInfo Key, string Secret);

public sealed record KeyList(IReadOnlyList<KeyInfo> Data);

public sealed record CreateKeyRequest(string Name, IReadOnlyList<string> Scopes, DateTimeOffset? ExpiresAt = null);

public sealed record TenantInfo(string Id, string Name, DateTime CreatedAt);

/// <summary>A new tenant and its first <c>tenant:admin</c> key.</summary>
public sealed record TenantCreated(TenantInfo Tenant, KeyCreated AdminKey);

public sealed record TenantList(IReadOnlyList<TenantInfo> Data);

public sealed record CreateTenantRequest(string Id, string? Name = null);

/// <summary>The scopes a key can carry.</summary>
public static class Scopes
{
    public const string PlatformAdmin = "platform:admin";
    public const string TenantAdmin = "tenant:admin";
    public const string SessionsRead = "sessions:read";
    public const string SessionsWrite = "sessions:write";
    public const string ModelsRead = "models:read";
    public const string CapsulesRead = "capsules:read";
    public const string CapsulesPublish = "capsules:publish";
    public const string CapsulesInstall = "capsules:install";
}

/// <summary>Who the credential is: <c>GET /v1/me</c>.</summary>
public sealed record CallerIdentity(string Tenant, string Subject, IReadOnlyList<string> Scopes, string Scheme, string? KeyName);
