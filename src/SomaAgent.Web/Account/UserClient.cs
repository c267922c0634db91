using Microsoft.AspNetCore.Components.Authorization;
using SomaAgent.Client;

namespace SomaAgent.Web.Account;

/// <summary>The SDK client of the signed-in user (one per circuit): it sends the user's own credential, never a key of the Web's.</summary>
public sealed class UserClient(AuthenticationStateProvider authentication, SomaAgentClientFactory clients)
{
    private SomaAgentClient? _client;

    public async Task<SomaAgentClient> GetAsync()
    {
        if (_client is not null)
        {
            return _client;
        }
        var state = await authentication.GetAuthenticationStateAsync();
        var credential = state.User.FindFirst(WebClaims.Credential)?.Value
            ?? throw new InvalidOperationException("No signed-in user: pages that call the platform require authorization.");
        return _client = clients.Create(credential);
    }
}
