using System.Text;
using Microsoft.Extensions.Options;

namespace SomaAgent.Security.Jwt;

/// <summary>Checks the token settings together and reports every problem at once, naming the setting to fix.</summary>
internal sealed class JwtOptionsValidator : IValidateOptions<JwtOptions>
{
    private const string Section = JwtOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        var errors = new List<string>();
        var hasSecret = !string.IsNullOrWhiteSpace(options.Secret);
        var hasPath = !string.IsNullOrWhiteSpace(options.SecretPath);
        if (hasSecret && hasPath)
        {
            errors.Add($"Set either {Section}:Secret (the secret itself) or GATEWAY_JWT_SECRET / {Section}:SecretPath (its Vault path), not both.");
        }
        if (hasSecret && Encoding.UTF8.GetByteCount(options.Secret!) < JwtOptions.MinimumSecretBytes)
        {
            errors.Add($"{Section}:Secret must be at least {JwtOptions.MinimumSecretBytes} bytes for HS256; use a long random value.");
        }
        if (hasPath)
        {
            if (string.IsNullOrWhiteSpace(options.VaultAddress))
            {
                errors.Add($"GATEWAY_JWT_SECRET ({Section}:SecretPath) names a Vault path, so VAULT_ADDR ({Section}:VaultAddress) is required.");
            }
            if (string.IsNullOrWhiteSpace(options.VaultToken))
            {
                errors.Add($"GATEWAY_JWT_SECRET ({Section}:SecretPath) names a Vault path, so VAULT_TOKEN ({Section}:VaultToken) is required.");
            }
            if (string.IsNullOrWhiteSpace(options.VaultField))
            {
                errors.Add($"{Section}:VaultField must name the field of the Vault secret that holds the key (default 'secret').");
            }
        }
        if (!string.IsNullOrWhiteSpace(options.VaultAddress)
            && (!Uri.TryCreate(options.VaultAddress, UriKind.Absolute, out var vault) || vault.Scheme is not ("http" or "https")))
        {
            errors.Add($"VAULT_ADDR ({Section}:VaultAddress) must be an absolute http(s) URL such as 'http://vault:8200'.");
        }
        if (options.SharedSecretConfigured)
        {
            Require(errors, options.Issuer, "Issuer", "the 'iss' HS256 tokens must carry");
            Require(errors, options.Audience, "Audience", "the 'aud' HS256 tokens must carry");
        }
        if (options.OidcConfigured)
        {
            if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("http" or "https"))
            {
                errors.Add($"OIDC_AUTHORITY ({Section}:Authority) must be an absolute http(s) URL such as 'https://keycloak.example/realms/somaagent'.");
            }
            else if (!options.HttpMetadataAllowed(authority))
            {
                errors.Add($"OIDC_AUTHORITY ({Section}:Authority) uses http on a host that is not loopback; use https, or set {Section}:AllowHttpMetadata=true on a trusted network.");
            }
            Require(errors, options.OidcAudience, "OidcAudience", "OIDC_AUDIENCE, the 'aud' OIDC tokens must carry");
        }
        Require(errors, options.TenantClaim, "TenantClaim", "the claim that names the tenant (default 'tenant')");
        if (options.ClockSkewSeconds is < 0 or > 300)
        {
            errors.Add($"{Section}:ClockSkewSeconds must be between 0 and 300, got {options.ClockSkewSeconds}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Require(List<string> errors, string? value, string key, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{Section}:{key} is required: {what}.");
        }
    }
}
