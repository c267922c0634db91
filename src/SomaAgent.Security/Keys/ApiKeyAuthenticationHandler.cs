using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Jwt;
using SomaAgent.Security.Problems;

namespace SomaAgent.Security.Keys;

/// <summary>
/// The one authentication handler of every service. <c>X-API-Key: &lt;key&gt;</c> and <c>Authorization: Bearer &lt;key&gt;</c>
/// are checked against the key store; a bearer value that is not an API key (keys start with <c>sk_</c> or <c>sk-</c>)
/// is validated as a JWT by <see cref="JwtTokenValidator"/>. Both produce the same <see cref="SomaAgentClaims"/>, and
/// every refused or missing credential gets the same 401 problem+json with <c>WWW-Authenticate: Bearer</c>.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore store,
    JwtTokenValidator tokens,
    ForwardedCaller forwarded,
    AuditRecorder audit) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-API-Key";

    private string? _failure;
    private bool _presented;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // The gateway authenticated this request already and says who the caller is.
        if (forwarded.Accepts && Request.Headers[ForwardedCaller.HeaderName] is { Count: > 0 } header)
        {
            _presented = true;
            var (caller, failure) = header.Count == 1
                ? forwarded.Verify(header[0]!, Request.Method, Request.Path.Value ?? "/")
                : (null, $"Send one {ForwardedCaller.HeaderName} header.");
            return caller is null ? Fail(failure!) : Success(caller.Credential, caller.Subject, caller.Tenant, caller.Name, caller.Scopes);
        }
        var (key, problem, bearer) = ReadCredential(Request);
        _presented = key is not null || problem is not null;
        if (problem is not null)
        {
            return Fail(problem);
        }
        if (key is null)
        {
            _failure = "This route needs an API key or a bearer token: send 'Authorization: Bearer <key or token>' or 'X-API-Key: <key>'.";
            return AuthenticateResult.NoResult();
        }
        if (bearer && JwtTokenValidator.LooksLikeJwt(key))
        {
            var token = await tokens.ValidateAsync(key, Context.RequestAborted);
            return token.Identity is { } holder
                ? Success("jwt", holder.Subject, holder.Tenant, holder.ClientId, holder.Scopes)
                : Fail(token.Failure!);
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
        return Success("api_key", identity.KeyId.ToString(), identity.TenantId, identity.Name, identity.Scopes);
    }

    /// <param name="credential">What proved the caller (<c>api_key</c> or <c>jwt</c>): the identity's authentication type, shown by <c>/v1/me</c>.</param>
    private static AuthenticateResult Success(string credential, string subject, string tenant, string? name, IEnumerable<string> scopes)
    {
        List<Claim> claims =
        [
            new(SomaAgentClaims.Subject, subject),
            new(SomaAgentClaims.Tenant, tenant),
            .. scopes.Select(s => new Claim(SomaAgentClaims.Scope, s)),
        ];
        if (name is not null)
        {
            claims.Add(new(SomaAgentClaims.KeyName, name));
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, credential, SomaAgentClaims.Subject, null));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // RFC 6750: name the problem in the challenge when a credential was sent.
        Response.Headers.WWWAuthenticate = _presented && _failure is not null
            ? $"Bearer error=\"invalid_token\", error_description=\"{ChallengeText(_failure)}\""
            : "Bearer";
        await audit.RecordAsync(Context, AuditEvents.AuthenticationFailed, AuditDecisions.Deny, _failure ?? "no credential");
        await ProblemWriter.WriteAsync(Context, ProblemCatalog.Unauthorized, _failure ?? "This route needs a valid API key or token.");
    }

    /// <summary>RFC 6750 allows only printable ASCII without '"' and '\' in error_description.</summary>
    private static string ChallengeText(string reason) =>
        string.Concat(reason.Select(c => c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '\''));

    private AuthenticateResult Fail(string reason)
    {
        _failure = reason;
        return AuthenticateResult.Fail(reason);
    }

    /// <summary>
    /// The presented credential (and whether it came as a bearer value), or why the headers do not carry one.
    /// Never echoes what was sent.
    /// </summary>
    private static (string? Key, string? Problem, bool Bearer) ReadCredential(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        var apiKey = request.Headers[HeaderName];
        if (authorization.Count > 1 || apiKey.Count > 1)
        {
            return (null, "Send one credential: more than one Authorization or X-API-Key header was present.", false);
        }
        if (apiKey.Count == 1)
        {
            return string.IsNullOrWhiteSpace(apiKey[0]) ? (null, "The X-API-Key header is empty.", false) : (apiKey[0]!.Trim(), null, false);
        }
        if (authorization.Count == 1)
        {
            // Clients and proxies trim "Bearer " with an empty token down to "Bearer"; that is a missing token too.
            var value = (authorization[0] ?? "").Trim() + " ";
            const string Bearer = "Bearer ";
            if (!value.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
            {
                return (null, "The Authorization header must use the Bearer scheme: 'Authorization: Bearer <key or token>'.", true);
            }
            var token = value[Bearer.Length..].Trim();
            return token.Length == 0 ? (null, "The Authorization header has no token after 'Bearer'.", true) : (token, null, true);
        }
        return (null, null, false);
    }
}
