using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace SomaAgent.Web.Account;

/// <summary>
/// Keeps a single-sign-on user's access token fresh. The identity provider's access tokens are short-lived (15 minutes
/// in the Keycloak realm); the refresh token kept beside one in the server-side ticket gets the next shortly before it
/// expires, on the user's next page load (<see cref="SignInCookieEvents"/>) or the next call a live page makes
/// (<see cref="UserClient"/>), whichever comes first. The new tokens go back into the ticket, so every tab and every
/// replica uses them, and a rotated refresh token is never used twice. When the identity provider refuses the refresh
/// (the user's session there ended), the user signs in again.
/// </summary>
public sealed partial class AccessTokens(IOptionsMonitor<OpenIdConnectOptions> oidc, ITicketStore tickets, TimeProvider time, ILogger<AccessTokens> logger) : IDisposable
{
    /// <summary>How long before its expiry a token is replaced: longer than any one call to the platform takes.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);

    // One refresh at a time per replica: two tabs of one user must not both spend the same rotating refresh token.
    private readonly SemaphoreSlim _refreshing = new(1, 1);

    /// <summary>Whether <paramref name="user"/> signed in with an access token that expires within <see cref="Margin"/>.</summary>
    public bool IsExpiring(ClaimsPrincipal user) =>
        WebClaims.ExpiresAtOf(user) is { } expiresAt && expiresAt - Margin <= time.GetUtcNow();

    /// <summary>
    /// The user as they are now: <paramref name="user"/> while their token is fresh; with new tokens once refreshed
    /// (here, or already by another request); <see langword="null"/> when the token expires and cannot be refreshed.
    /// </summary>
    public async Task<ClaimsPrincipal?> FreshAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!IsExpiring(user))
        {
            return user;
        }
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            var key = user.FindFirst(WebClaims.Ticket)?.Value;
            var stored = key is null ? null : await tickets.RetrieveAsync(key, cancellationToken);
            if (stored is not null && !IsExpiring(stored.Principal))
            {
                return stored.Principal;
            }
            var current = stored?.Principal ?? user;
            if (current.FindFirst(WebClaims.RefreshToken)?.Value is not { Length: > 0 } refreshToken)
            {
                return null;
            }
            var refreshed = await RedeemAsync(refreshToken, cancellationToken);
            if (refreshed is null)
            {
                return null;
            }
            var principal = WebClaims.WithTokens(current, refreshed.AccessToken, refreshed.RefreshToken ?? refreshToken,
                time.GetUtcNow().AddSeconds(refreshed.ExpiresIn));
            if (stored is not null)
            {
                // Not cancelled: the old refresh token is spent, so the new one must be kept whatever the caller does now.
                await tickets.RenewAsync(key!, new AuthenticationTicket(principal, stored.Properties, stored.AuthenticationScheme), CancellationToken.None);
            }
            LogRefreshed(logger, principal.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "", refreshed.ExpiresIn);
            return principal;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>The token endpoint's answer to <c>grant_type=refresh_token</c>, or null when it refused.</summary>
    private async Task<TokenResponse?> RedeemAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var options = oidc.Get(OidcSignIn.Scheme);
        try
        {
            var configuration = await options.ConfigurationManager!.GetConfigurationAsync(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token",
                    ["refresh_token"] = refreshToken,
                    ["client_id"] = options.ClientId!,
                }),
            };
            using var response = await options.Backchannel.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var answer = await response.Content.ReadAsStringAsync(cancellationToken);
                LogRefused(logger, (int)response.StatusCode, answer);
                return null;
            }
            var tokens = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken);
            return tokens is { AccessToken.Length: > 0 } ? tokens : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or System.Text.Json.JsonException
            || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnreachable(logger, ex);
            return null;
        }
    }

    public void Dispose() => _refreshing.Dispose();

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("refresh_token")] string? RefreshToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);

    [LoggerMessage(EventId = 9000, Level = LogLevel.Debug, Message = "Refreshed the access token of {Subject}; the new one expires in {Seconds} s")]
    private static partial void LogRefreshed(ILogger logger, string subject, int seconds);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "The identity provider refused to refresh an access token ({Status}: {Answer}); the user signs in again")]
    private static partial void LogRefused(ILogger logger, int status, string answer);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "The identity provider could not be reached to refresh an access token; the user signs in again")]
    private static partial void LogUnreachable(ILogger logger, Exception exception);
}

/// <summary>On each request that carries the sign-in cookie: an access token about to expire is refreshed, or the user is signed out.</summary>
public sealed class SignInCookieEvents(AccessTokens tokens) : CookieAuthenticationEvents
{
    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Principal is not { } user || !tokens.IsExpiring(user))
        {
            return;
        }
        var fresh = await tokens.FreshAsync(user, context.HttpContext.RequestAborted);
        if (fresh is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(context.Scheme.Name);
            return;
        }
        context.ReplacePrincipal(fresh);
        context.ShouldRenew = true;
    }
}
