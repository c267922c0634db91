using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SomaAgent.Client;

namespace SomaAgent.Web.Account;

/// <summary>
/// The SDK client of the signed-in user (one per circuit): it sends the user's own credential, never a key of the Web's.
/// A single-sign-on user's access token is refreshed before it expires, however long the page stays open.
/// </summary>
public sealed class UserClient(AuthenticationStateProvider authentication, SomaAgentClientFactory clients, AccessTokens tokens)
{
    private SomaAgentClient? _client;
    private ClaimsPrincipal? _user;

    public async Task<SomaAgentClient> GetAsync()
    {
        if (_client is not null)
        {
            return _client;
        }
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        var credential = user.FindFirst(WebClaims.Credential)?.Value
            ?? throw new InvalidOperationException("No signed-in user: pages that call the platform require authorization.");
        if (WebClaims.ExpiresAtOf(user) is null)
        {
            return _client = clients.Create(credential);
        }
        _user = user;
        return _client = clients.Create(CurrentTokenAsync);
    }

    private async ValueTask<string> CurrentTokenAsync(CancellationToken cancellationToken)
    {
        // When the refresh fails the expired token goes out: the gateway answers 401 and the page says to sign in again.
        _user = await tokens.FreshAsync(_user!, cancellationToken) ?? _user!;
        return _user.FindFirst(WebClaims.Credential)!.Value;
    }
}

public static class UserClientServiceCollectionExtensions
{
    /// <summary>
    /// <see cref="UserClient"/> and what it stands on: the server-side tickets (over the distributed cache the host
    /// registered) and the renewal of single-sign-on tokens.
    /// </summary>
    public static IServiceCollection AddUserClients(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddDataProtection();
        services.TryAddSingleton<ITicketStore, DistributedCacheTicketStore>();
        services.TryAddSingleton<AccessTokens>();
        services.TryAddScoped<UserClient>();
        return services;
    }
}
