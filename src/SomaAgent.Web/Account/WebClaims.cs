using System.Globalization;
using System.Security.Claims;
using SomaAgent.Client.Keys;

namespace SomaAgent.Web.Account;

/// <summary>What the Web keeps of a signed-in user: who they are to the platform, and the credential it calls it with.</summary>
public static class WebClaims
{
    public const string Tenant = "somaagent:tenant";
    public const string Scope = "somaagent:scope";

    /// <summary>
    /// The user's API key or access token. It lives only in the server-side ticket (<see cref="DistributedCacheTicketStore"/>):
    /// the browser's cookie holds the ticket's id, never the credential.
    /// </summary>
    public const string Credential = "somaagent:credential";

    /// <summary>How the user signed in: <c>api-key</c> or <c>oidc</c>.</summary>
    public const string Method = "somaagent:method";

    /// <summary>A single-sign-on user's refresh token, kept (like the credential) only in the server-side ticket.</summary>
    public const string RefreshToken = "somaagent:refresh-token";

    /// <summary>When a single-sign-on user's access token expires (Unix seconds); API keys carry none.</summary>
    public const string ExpiresAt = "somaagent:expires-at";

    /// <summary>The id of the ticket the user's claims are stored under, so a live page can write refreshed tokens back.</summary>
    public const string Ticket = "somaagent:ticket";

    /// <param name="displayName">How to name the user: the identity provider's <c>name</c>; default the key's name, or the subject.</param>
    public static ClaimsPrincipal Principal(CallerIdentity caller, string credential, string method, string authenticationType, string? displayName = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, caller.Subject),
            new(ClaimTypes.Name, displayName ?? caller.KeyName ?? caller.Subject),
            new(Tenant, caller.Tenant),
            new(Credential, credential),
            new(Method, method),
        };
        claims.AddRange(caller.Scopes.Select(s => new Claim(Scope, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType));
    }

    /// <summary><paramref name="user"/> with the tokens of a refresh (or of sign-in) in place of the ones they had.</summary>
    public static ClaimsPrincipal WithTokens(ClaimsPrincipal user, string accessToken, string? refreshToken, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(user);
        var identity = new ClaimsIdentity(user.Claims.Where(c => c.Type is not (Credential or RefreshToken or ExpiresAt)), user.Identity?.AuthenticationType);
        identity.AddClaim(new Claim(Credential, accessToken));
        identity.AddClaim(new Claim(ExpiresAt, expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        if (!string.IsNullOrEmpty(refreshToken))
        {
            identity.AddClaim(new Claim(RefreshToken, refreshToken));
        }
        return new ClaimsPrincipal(identity);
    }

    public static DateTimeOffset? ExpiresAtOf(ClaimsPrincipal user) =>
        long.TryParse(user?.FindFirst(ExpiresAt)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    public static string TenantOf(ClaimsPrincipal user) => user?.FindFirst(Tenant)?.Value ?? "";

    public static IReadOnlyList<string> ScopesOf(ClaimsPrincipal user) => user?.FindAll(Scope).Select(c => c.Value).ToList() ?? [];

    /// <summary>Whether the user holds <paramref name="scope"/>, directly or through an admin scope that covers it.</summary>
    public static bool Holds(ClaimsPrincipal user, string scope)
    {
        var scopes = ScopesOf(user);
        return scopes.Contains(scope) || scopes.Contains("platform:admin") || (scopes.Contains("tenant:admin") && scope != "platform:admin");
    }
}
