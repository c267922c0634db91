using System.Security.Claims;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using SomaAgent.Security.Identity;

namespace SomaAgent.Security.Jwt;

/// <summary>What a valid token proves, in SomaAgent's terms.</summary>
public sealed record JwtIdentity(string Subject, string Tenant, IReadOnlyList<string> Scopes, string? ClientId);

/// <summary>Either the identity of a valid token or why it was refused (safe to show the caller; never the token).</summary>
public sealed record JwtValidationResult(JwtIdentity? Identity, string? Failure)
{
    public static JwtValidationResult Refused(string reason) => new(null, reason);
}

/// <summary>
/// Validates bearer tokens (JWT) from the two optional sources: HS256 with the shared secret (loaded at start-up
/// by <see cref="JwtSecretLoader"/>) and RS/PS/ES tokens of the OIDC issuer, whose discovery document and JWKS
/// are cached and fetched again when a token names an unknown key. The header's <c>alg</c> picks the source, so a
/// token can never choose a weaker check: <c>none</c> is always refused, HS256 only ever meets the shared secret.
/// </summary>
public sealed partial class JwtTokenValidator
{
    /// <summary>Asymmetric algorithms accepted from the OIDC issuer.</summary>
    public static IReadOnlyList<string> OidcAlgorithms { get; } =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    private readonly JwtOptions _options;
    private readonly string _defaultTenant;
    private readonly ILogger<JwtTokenValidator> _logger;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _oidc;
    // Set once by the start-up loader, before the server takes requests.
    private volatile SymmetricSecurityKey? _sharedKey;

    public JwtTokenValidator(IOptions<JwtOptions> options, IOptions<CallerOptions> callers, IHttpClientFactory httpClients, ILogger<JwtTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(callers);
        ArgumentNullException.ThrowIfNull(httpClients);
        _options = options.Value;
        // The same default tenant every service resolves callers with, so a token means the same everywhere.
        _defaultTenant = callers.Value.DefaultTenant;
        _logger = logger;
        if (_options.OidcConfigured)
        {
            var authority = new Uri(_options.Authority!);
            var metadata = $"{_options.Authority!.TrimEnd('/')}/.well-known/openid-configuration";
            // An https authority keeps every metadata URL (the JWKS too) on https; http only where the options allow it.
            var requireHttps = authority.Scheme == Uri.UriSchemeHttps || !_options.HttpMetadataAllowed(authority);
            var retriever = new HttpDocumentRetriever(httpClients.CreateClient(HttpClientName)) { RequireHttps = requireHttps };
            _oidc = new ConfigurationManager<OpenIdConnectConfiguration>(metadata, new OpenIdConnectConfigurationRetriever(), retriever)
            {
                // A token with an unknown kid asks for a refresh at most this often (key rotation, not a DoS lever).
                RefreshInterval = TimeSpan.FromSeconds(30),
                AutomaticRefreshInterval = TimeSpan.FromHours(1),
            };
        }
    }

    /// <summary>The named HttpClient of discovery and JWKS requests.</summary>
    public const string HttpClientName = "somaagent-oidc";

    /// <summary>Whether any token source is configured.</summary>
    public bool Enabled => _sharedKey is not null || _oidc is not null;

    /// <summary>
    /// Whether a bearer value is meant as a JWT rather than an API key: keys start with <c>sk_</c> or <c>sk-</c>, a
    /// JWT is dot-separated base64url parts.
    /// </summary>
    public static bool LooksLikeJwt(string credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return !credential.StartsWith("sk_", StringComparison.Ordinal) && !credential.StartsWith("sk-", StringComparison.Ordinal)
            && credential.Contains('.', StringComparison.Ordinal);
    }

    /// <summary>Accepts HS256 tokens signed with <paramref name="secret"/> from now on (called once, at start-up).</summary>
    internal void UseSharedSecret(string secret) => _sharedKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret));

    public async Task<JwtValidationResult> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!Enabled)
        {
            return JwtValidationResult.Refused(
                "This service accepts no bearer tokens (JWT): no shared secret and no OIDC issuer is configured. Send an API key.");
        }
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException)
        {
            return JwtValidationResult.Refused("The token is malformed: it is neither an API key ('sk_...') nor a signed JSON Web Token.");
        }
        if (jwt.IsEncrypted)
        {
            return JwtValidationResult.Refused("The token is malformed: encrypted tokens (JWE) are not accepted.");
        }
        var alg = jwt.Alg;
        if (string.IsNullOrEmpty(alg) || alg.Equals("none", StringComparison.OrdinalIgnoreCase) || jwt.EncodedSignature.Length == 0)
        {
            return JwtValidationResult.Refused("The token is unsigned (alg 'none'); unsigned tokens are always refused.");
        }

        TokenValidationParameters parameters;
        if (alg == SecurityAlgorithms.HmacSha256)
        {
            if (_sharedKey is null)
            {
                return JwtValidationResult.Refused("HS256 tokens are not accepted here: no shared secret is configured.");
            }
            parameters = Parameters(_options.Issuer, _options.Audience, [_sharedKey], [SecurityAlgorithms.HmacSha256]);
        }
        else if (OidcAlgorithms.Contains(alg, StringComparer.Ordinal))
        {
            if (_oidc is null)
            {
                return JwtValidationResult.Refused("Tokens signed with a public key are accepted only from an OIDC issuer, and none is configured.");
            }
            var (configuration, problem) = await GetOidcConfigurationAsync(jwt.Kid, cancellationToken);
            if (configuration is null)
            {
                return JwtValidationResult.Refused(problem!);
            }
            parameters = Parameters(configuration.Issuer, _options.OidcAudience, configuration.SigningKeys, OidcAlgorithms);
        }
        else
        {
            return JwtValidationResult.Refused(
                "The token's signing algorithm is not accepted: HS256 with the shared secret, or RS/PS/ES from the OIDC issuer.");
        }

        var result = await _handler.ValidateTokenAsync(jwt, parameters);
        return result.IsValid ? Map(jwt) : JwtValidationResult.Refused(Describe(result.Exception));
    }

    private async Task<(OpenIdConnectConfiguration? Configuration, string? Problem)> GetOidcConfigurationAsync(string? kid, CancellationToken cancellationToken)
    {
        try
        {
            var configuration = await _oidc!.GetConfigurationAsync(cancellationToken);
            if (!string.IsNullOrEmpty(kid) && !HasKey(configuration, kid))
            {
                // The issuer may have rotated its keys since the JWKS was cached.
                _oidc.RequestRefresh();
                configuration = await _oidc.GetConfigurationAsync(cancellationToken);
                if (!HasKey(configuration, kid))
                {
                    return (null, UnknownKey);
                }
            }
            return (configuration, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogIssuerUnreachable(_options.Authority!, ex.GetBaseException().Message);
            return (null, "The token's issuer could not be reached to fetch its signing keys; try again later.");
        }
    }

    private static bool HasKey(OpenIdConnectConfiguration configuration, string kid) =>
        configuration.SigningKeys.Any(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal));

    private const string UnknownKey = "The token is signed with a key its issuer does not publish (unknown signing key).";

    private TokenValidationParameters Parameters(string issuer, string audience, IEnumerable<SecurityKey> keys, IEnumerable<string> algorithms) => new()
    {
        ValidIssuer = issuer,
        ValidAudience = audience,
        IssuerSigningKeys = keys,
        ValidAlgorithms = algorithms,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.FromSeconds(_options.ClockSkewSeconds),
    };

    /// <summary>
    /// The refusal in words. An unknown <c>kid</c> was already answered before validation, so a key the handler cannot
    /// match here means no configured key verifies the signature.
    /// </summary>
    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenNotYetValidException => "The token is not valid yet ('nbf' is in the future).",
        SecurityTokenNoExpirationException => "The token has no expiry ('exp'); tokens must expire.",
        SecurityTokenInvalidIssuerException => "The token's issuer ('iss') is not trusted here.",
        SecurityTokenInvalidAudienceException => "The token's audience ('aud') is not this service.",
        SecurityTokenInvalidAlgorithmException => "The token's signing algorithm is not accepted.",
        SecurityTokenInvalidSignatureException => "The token's signature is not valid.",
        SecurityTokenMalformedException or ArgumentException => "The token is malformed.",
        _ => "The token is not valid.",
    };

    private JwtValidationResult Map(JsonWebToken jwt)
    {
        if (string.IsNullOrWhiteSpace(jwt.Subject))
        {
            return JwtValidationResult.Refused("The token carries no subject ('sub').");
        }
        // 'scope' is space separated (RFC 9068); 'scp' may be a string or an array. Unknown scopes are dropped.
        var scopes = jwt.Claims.Where(c => c.Type is "scope" or "scp")
            .SelectMany(c => ApiKeyScopes.Split(c.Value))
            .Where(ApiKeyScopes.IsKnown)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var tenant = jwt.Claims.FirstOrDefault(c => c.Type == _options.TenantClaim)?.Value;
        if (string.IsNullOrWhiteSpace(tenant))
        {
            if (!scopes.Contains(ApiKeyScopes.PlatformAdmin))
            {
                return JwtValidationResult.Refused($"The token carries no tenant claim ('{_options.TenantClaim}').");
            }
            tenant = _defaultTenant;
        }
        var client = jwt.Claims.FirstOrDefault(c => c.Type is "client_id" or "azp")?.Value;
        return new(new JwtIdentity(jwt.Subject, tenant, scopes, client), null);
    }

    [LoggerMessage(EventId = 5010, EventName = "OidcIssuerUnreachable", Level = LogLevel.Warning,
        Message = "The OIDC issuer {Authority} could not be reached for its discovery document or JWKS; bearer tokens get 401 until it answers: {Reason}")]
    private partial void LogIssuerUnreachable(string authority, string reason);
}
