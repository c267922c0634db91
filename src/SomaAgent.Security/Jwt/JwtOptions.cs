namespace SomaAgent.Security.Jwt;

/// <summary>
/// Section <c>SomaAgent:Jwt</c>: the two optional sources of bearer tokens (JWT) besides API keys. Neither is
/// on by default. The flat names <c>GATEWAY_JWT_SECRET</c>, <c>VAULT_ADDR</c>, <c>VAULT_TOKEN</c>,
/// <c>OIDC_AUTHORITY</c> and <c>OIDC_AUDIENCE</c> override the matching keys.
/// </summary>
public sealed class JwtOptions
{
    public const string SectionName = "SomaAgent:Jwt";

    /// <summary>The fewest bytes (UTF-8) of an HS256 shared secret.</summary>
    public const int MinimumSecretBytes = 32;

    /// <summary>Required <c>iss</c> of HS256 tokens. Default <c>somaagent</c>.</summary>
    public string Issuer { get; set; } = "somaagent";

    /// <summary>Required <c>aud</c> of HS256 tokens. Default <c>somaagent</c>.</summary>
    public string Audience { get; set; } = "somaagent";

    /// <summary>
    /// The HS256 shared secret itself (embedded topology), at least 32 bytes of UTF-8; its bytes are the HMAC key.
    /// Optional; not together with <see cref="SecretPath"/>.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>
    /// <c>GATEWAY_JWT_SECRET</c>: where the HS256 secret lives in Vault KV v2, never the secret itself. Either the API
    /// form <c>&lt;mount&gt;/data/&lt;path&gt;</c> (<c>secret/data/somaagent/jwt</c>) or a path under
    /// <see cref="VaultMount"/> (<c>somaagent/jwt</c>). Needs <see cref="VaultAddress"/> and <see cref="VaultToken"/>.
    /// </summary>
    public string? SecretPath { get; set; }

    /// <summary>The KV v2 mount a <see cref="SecretPath"/> without <c>/data/</c> is under. Default <c>secret</c>.</summary>
    public string VaultMount { get; set; } = "secret";

    /// <summary>The field of the Vault secret that holds the HS256 secret. Default <c>secret</c>.</summary>
    public string VaultField { get; set; } = "secret";

    /// <summary><c>VAULT_ADDR</c>: Vault's base URL, e.g. <c>http://vault:8200</c>. Optional.</summary>
    public string? VaultAddress { get; set; }

    /// <summary><c>VAULT_TOKEN</c>: the token sent as <c>X-Vault-Token</c>. Required with <see cref="SecretPath"/>.</summary>
    public string? VaultToken { get; set; }

    /// <summary>
    /// <c>OIDC_AUTHORITY</c>: the OIDC issuer (a Keycloak realm URL) whose <c>/.well-known/openid-configuration</c>
    /// and JWKS sign RS/PS/ES tokens. Optional; https unless loopback or <see cref="AllowHttpMetadata"/>.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary><c>OIDC_AUDIENCE</c>: required <c>aud</c> of OIDC tokens. Default <c>somaagent</c>.</summary>
    public string OidcAudience { get; set; } = "somaagent";

    /// <summary>Fetch OIDC metadata over plain http from a host that is not loopback. Default false.</summary>
    public bool AllowHttpMetadata { get; set; }

    /// <summary>The claim that names the tenant. Default <c>tenant</c>.</summary>
    public string TenantClaim { get; set; } = "tenant";

    /// <summary>Tolerated clock difference for <c>exp</c> and <c>nbf</c>, 0 to 300 seconds. Default 30.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>Whether HS256 tokens are configured (a secret or a Vault path).</summary>
    public bool SharedSecretConfigured => !string.IsNullOrWhiteSpace(Secret) || !string.IsNullOrWhiteSpace(SecretPath);

    /// <summary>Whether an OIDC issuer is configured.</summary>
    public bool OidcConfigured => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>Whether metadata may be fetched from <paramref name="authority"/> over http.</summary>
    public bool HttpMetadataAllowed(Uri authority)
    {
        ArgumentNullException.ThrowIfNull(authority);
        return authority.Scheme == Uri.UriSchemeHttps || authority.IsLoopback || AllowHttpMetadata;
    }
}
