using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using SomaAgent.Client;
using SomaAgent.Web.Platform;

namespace SomaAgent.Web.Account;

/// <summary>
/// Single sign-on when <c>OIDC_AUTHORITY</c> is set (Keycloak's realm in the containers topology): the authorization
/// code flow with PKCE for the public client <c>OIDC_WEB_CLIENT_ID</c> (default <c>somaagent-web</c>). The access
/// token it gets (audience <c>somaagent</c>, the user's <c>tenant</c>) is checked at the gateway (<c>GET /v1/me</c>)
/// and kept, like an API key, only in the server-side ticket, with the refresh token that renews it
/// (<see cref="AccessTokens"/>).
/// </summary>
public static class OidcSignIn
{
    public const string Scheme = "oidc";

    public static bool IsConfigured(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration?["OIDC_AUTHORITY"]);

    public static AuthenticationBuilder AddSomaAgentOidc(this AuthenticationBuilder authentication, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(authentication);
        ArgumentNullException.ThrowIfNull(configuration);
        if (!IsConfigured(configuration))
        {
            return authentication;
        }
        var authority = new Uri(configuration["OIDC_AUTHORITY"]!);
        return authentication.AddOpenIdConnect(Scheme, "Single sign-on", options =>
        {
            options.Authority = authority.ToString();
            // Plain http only for an issuer on this machine (a development Keycloak, the tests' issuer).
            options.RequireHttpsMetadata = !authority.IsLoopback;
            options.ClientId = configuration["OIDC_WEB_CLIENT_ID"] ?? "somaagent-web";
            options.ResponseType = OpenIdConnectResponseType.Code;
            options.UsePkce = true;
            // The code comes back on a top-level GET, so the correlation and nonce cookies can be SameSite=Lax and
            // need no Secure flag: sign-in works over plain http on this machine too.
            options.ResponseMode = OpenIdConnectResponseMode.Query;
            options.CorrelationCookie.SameSite = SameSiteMode.Lax;
            options.NonceCookie.SameSite = SameSiteMode.Lax;
            options.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            options.Scope.Clear();
            foreach (var scope in (configuration["OIDC_WEB_SCOPES"] ?? "openid profile sessions:read sessions:write models:read capsules:read capsules:install capsules:publish")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                options.Scope.Add(scope);
            }
            options.MapInboundClaims = false;
            options.Events.OnTokenValidated = BecomePlatformUserAsync;
            options.Events.OnRemoteFailure = context =>
            {
                context.Response.Redirect("/account/login?error=" + Uri.EscapeDataString("Single sign-on did not complete: " + context.Failure?.Message));
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
    }

    /// <summary>Signs in the platform's view of the user: who the access token is at the gateway, with the token kept server-side.</summary>
    private static async Task BecomePlatformUserAsync(TokenValidatedContext context)
    {
        var accessToken = context.TokenEndpointResponse?.AccessToken;
        if (string.IsNullOrEmpty(accessToken))
        {
            context.Fail("The identity provider returned no access token.");
            return;
        }
        var clients = context.HttpContext.RequestServices.GetRequiredService<SomaAgentClientFactory>();
        try
        {
            var caller = await clients.Create(accessToken).GetCallerAsync(context.HttpContext.RequestAborted);
            var name = context.Principal?.FindFirst("name")?.Value ?? context.Principal?.FindFirst("preferred_username")?.Value ?? caller.Subject;
            var response = context.TokenEndpointResponse!;
            var time = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
            var expiresAt = time.GetUtcNow().AddSeconds(int.TryParse(response.ExpiresIn, out var seconds) ? seconds : 300);
            context.Principal = WebClaims.WithTokens(
                WebClaims.Principal(caller, accessToken, "oidc", CookieAuthenticationDefaults.AuthenticationScheme, name),
                accessToken, response.RefreshToken, expiresAt);
            if (string.IsNullOrEmpty(response.RefreshToken))
            {
                // Nothing to refresh the token with: the ticket lives as long as the token, then the user signs in again.
                context.Properties!.ExpiresUtc = expiresAt;
            }
        }
        catch (Exception ex) when (PlatformErrors.IsPlatformFailure(ex))
        {
            context.Fail(ex is SomaAgentProblemException { Status: System.Net.HttpStatusCode.Unauthorized }
                ? "the gateway does not accept this identity provider's tokens (OIDC_AUTHORITY and OIDC_AUDIENCE must match)."
                : PlatformErrors.Describe(ex));
        }
    }

    /// <summary><c>GET /account/login/oidc?returnUrl=</c> starts single sign-on.</summary>
    public static IEndpointRouteBuilder MapOidcSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet("/account/login/oidc", (string? returnUrl) =>
            TypedResults.Challenge(new AuthenticationProperties { RedirectUri = LocalPath.OrHome(returnUrl) }, [Scheme]))
            .WithMetadata(new AllowAnonymousAttribute());
        return app;
    }
}

/// <summary>Where a sign-in may send the user afterwards: a path of this site only, never elsewhere.</summary>
public static class LocalPath
{
    public static string OrHome(string? url) =>
        url is { Length: > 0 } && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            && !url.StartsWith("/account/", StringComparison.OrdinalIgnoreCase)
            ? url
            : "/sessions";
}
