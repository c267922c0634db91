using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Security.Audit;

namespace SomaAgent.Runtime.Security;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;key&gt;</c> or <c>X-API-Key: &lt;key&gt;</c> against the key store
/// and answers a refused or missing credential with 401 problem+json and <c>WWW-Authenticate: Bearer</c>.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore store,
    AuditRecorder audit) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-API-Key";

    private string? _failure;
    private bool _presented;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var (key, problem) = ReadCredential(Request);
        _presented = key is not null || problem is not null;
        if (problem is not null)
        {
            return Fail(problem);
        }
        if (key is null)
        {
            _failure = "This route needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.";
            return AuthenticateResult.NoResult();
        }

        var (identity, rejection) = await store.AuthenticateAsync(key, Context.RequestAborted);
        if (identity is null)
        {
            return Fail(rejection switch
            {
                ApiKeyRejection.Malformed => "The API key is malformed: keys look like 'sk_<prefix>_<secret>' and are at least 32 characters.",
                ApiKeyRejection.Revoked => "The API key has been revoked; create a new one.",
                ApiKeyRejection.Expired => "The API key has expired; create a new one.",
                _ => "The API key is not valid.",
            });
        }

        List<Claim> claims =
        [
            new(SomaAgentClaims.Subject, identity.KeyId.ToString()),
            new(SomaAgentClaims.Tenant, identity.TenantId),
            new(SomaAgentClaims.KeyName, identity.Name),
            .. identity.Scopes.Select(s => new Claim(SomaAgentClaims.Scope, s)),
        ];
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, SomaAgentClaims.Subject, null));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // RFC 6750: name the problem in the challenge when a credential was sent.
        Response.Headers.WWWAuthenticate = _presented ? "Bearer error=\"invalid_token\"" : "Bearer";
        await audit.RecordAsync(Context, AuditEvents.AuthenticationFailed, AuditDecisions.Deny, _failure ?? "no credential");
        await SecurityProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, SecurityProblems.Unauthorized,
            "Authentication required", _failure ?? "This route needs a valid API key.");
    }

    private AuthenticateResult Fail(string reason)
    {
        _failure = reason;
        return AuthenticateResult.Fail(reason);
    }

    /// <summary>The presented key, or why the headers do not carry one. Never echoes what was sent.</summary>
    private static (string? Key, string? Problem) ReadCredential(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        var apiKey = request.Headers[HeaderName];
        if (authorization.Count > 1 || apiKey.Count > 1)
        {
            return (null, "Send one credential: more than one Authorization or X-API-Key header was present.");
        }
        if (apiKey.Count == 1)
        {
            return string.IsNullOrWhiteSpace(apiKey[0]) ? (null, "The X-API-Key header is empty.") : (apiKey[0]!.Trim(), null);
        }
        if (authorization.Count == 1)
        {
            var value = authorization[0] ?? "";
            const string Bearer = "Bearer ";
            if (!value.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
            {
                return (null, "The Authorization header must use the Bearer scheme: 'Authorization: Bearer <key>'.");
            }
            var token = value[Bearer.Length..].Trim();
            return token.Length == 0 ? (null, "The Authorization header has no token after 'Bearer'.") : (token, null);
        }
        return (null, null);
    }
}
