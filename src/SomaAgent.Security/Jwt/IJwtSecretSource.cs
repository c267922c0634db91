using Microsoft.Extensions.Options;

namespace SomaAgent.Security.Jwt;

/// <summary>
/// Where the HS256 shared secret comes from: Vault KV v2 in the containers topology
/// (<see cref="VaultJwtSecretSource"/>), plain configuration when embedded (<see cref="ConfigurationJwtSecretSource"/>).
/// Read once, at start-up.
/// </summary>
public interface IJwtSecretSource
{
    /// <summary>What is read, for start-up messages; never the secret.</summary>
    string Description { get; }

    /// <summary>The secret, or null when no shared secret is configured.</summary>
    Task<string?> ReadSecretAsync(CancellationToken cancellationToken);
}

/// <summary>The secret straight from <c>SomaAgent:Jwt:Secret</c> (or nothing).</summary>
internal sealed class ConfigurationJwtSecretSource(IOptions<JwtOptions> options) : IJwtSecretSource
{
    public string Description => $"{JwtOptions.SectionName}:Secret";

    public Task<string?> ReadSecretAsync(CancellationToken cancellationToken) =>
        Task.FromResult(string.IsNullOrWhiteSpace(options.Value.Secret) ? null : options.Value.Secret);
}

/// <summary>The secret from the Vault KV v2 secret that <c>GATEWAY_JWT_SECRET</c> names, field <c>SomaAgent:Jwt:VaultField</c>.</summary>
internal sealed class VaultJwtSecretSource(VaultKvClient vault, IOptions<JwtOptions> options) : IJwtSecretSource
{
    public string Description
    {
        get
        {
            var (mount, path) = ParsePath(options.Value.SecretPath!, options.Value.VaultMount);
            return $"Vault secret '{mount}/data/{path}' field '{options.Value.VaultField}' (GATEWAY_JWT_SECRET at VAULT_ADDR)";
        }
    }

    public async Task<string?> ReadSecretAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var (mount, path) = ParsePath(settings.SecretPath!, settings.VaultMount);
        var data = await vault.ReadAsync(new Uri(settings.VaultAddress!), settings.VaultToken!, mount, path, cancellationToken);
        if (!data.TryGetValue(settings.VaultField, out var value) || value.ValueKind != System.Text.Json.JsonValueKind.String)
        {
            throw new InvalidOperationException(
                $"{Description} has no string field '{settings.VaultField}' (fields: {string.Join(", ", data.Keys)}); "
                + $"write it with 'vault kv put -mount={mount} {path} {settings.VaultField}=<secret>' or set {JwtOptions.SectionName}:VaultField.");
        }
        return value.GetString();
    }

    /// <summary>
    /// <c>secret/data/somaagent/jwt</c> (the API form, an optional <c>v1/</c> before it) is mount <c>secret</c>, path
    /// <c>somaagent/jwt</c>; anything without <c>/data/</c> is a path under <paramref name="defaultMount"/>.
    /// </summary>
    internal static (string Mount, string Path) ParsePath(string reference, string defaultMount)
    {
        var trimmed = reference.Trim().Trim('/');
        if (trimmed.StartsWith("v1/", StringComparison.Ordinal))
        {
            trimmed = trimmed[3..];
        }
        var data = trimmed.IndexOf("/data/", StringComparison.Ordinal);
        return data > 0 ? (trimmed[..data], trimmed[(data + 6)..]) : (defaultMount.Trim('/'), trimmed);
    }
}
