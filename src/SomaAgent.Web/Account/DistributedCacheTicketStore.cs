using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Caching.Distributed;

namespace SomaAgent.Web.Account;

/// <summary>
/// Keeps sign-in tickets (with the user's credential) on the server, in the distributed cache (memory embedded, Redis
/// when configured), encrypted with the app's data protection keys; the browser's cookie carries only the ticket's id.
/// </summary>
public sealed class DistributedCacheTicketStore(IDistributedCache cache, IDataProtectionProvider protection, TimeProvider time) : ITicketStore
{
    private const string KeyPrefix = "somaagent:web:ticket:";

    /// <summary>How long a ticket lives when its cookie sets no expiry.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromHours(8);

    private readonly IDataProtector _protector = protection.CreateProtector("SomaAgent.Web.Tickets");

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var id = Guid.NewGuid().ToString("N");
        // The claims carry their own ticket's id: a live page that refreshes the user's token writes it back here.
        var identity = new ClaimsIdentity(ticket.Principal.Claims.Where(c => c.Type != WebClaims.Ticket), ticket.Principal.Identity?.AuthenticationType);
        identity.AddClaim(new Claim(WebClaims.Ticket, id));
        await RenewAsync(id, new AuthenticationTicket(new ClaimsPrincipal(identity), ticket.Properties, ticket.AuthenticationScheme));
        return id;
    }

    public Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var expires = ticket.Properties.ExpiresUtc ?? time.GetUtcNow().Add(DefaultLifetime);
        return cache.SetAsync(KeyPrefix + key, _protector.Protect(TicketSerializer.Default.Serialize(ticket)),
            new DistributedCacheEntryOptions { AbsoluteExpiration = expires });
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        var stored = await cache.GetAsync(KeyPrefix + key);
        if (stored is null)
        {
            return null;
        }
        try
        {
            return TicketSerializer.Default.Deserialize(_protector.Unprotect(stored));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Written under keys this app no longer has: the user signs in again.
            return null;
        }
    }

    public Task RemoveAsync(string key) => cache.RemoveAsync(KeyPrefix + key);
}

/// <summary>Points the cookie handler at the ticket store, so the cookie holds an id instead of the ticket.</summary>
internal sealed class UseTicketStore(ITicketStore store) : Microsoft.Extensions.Options.IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.SessionStore = store;
    }
}
