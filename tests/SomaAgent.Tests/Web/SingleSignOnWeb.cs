using System.Net;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Web.Account;

namespace SomaAgent.Tests.Web;

/// <summary>
/// The Web with single sign-on through a real OIDC issuer (oidc-provider, rotating refresh tokens) in front of a
/// gateway that accepts the issuer's tokens. The Web's clock is a <see cref="ShiftedClock"/>, so a test moves a
/// signed-in user's access token to the edge of its expiry without waiting for it.
/// </summary>
public sealed partial class SingleSignOnWeb : IAsyncLifetime
{
    private GatewayApp? _gateway;
    private WebApplicationFactory<UserClient>? _web;

    public OidcIssuer Oidc { get; } = new();

    public ShiftedClock Time { get; } = new();

    public GatewayApp Gateway => _gateway ?? throw new InvalidOperationException("Not started.");

    public WebApplicationFactory<UserClient> Web => _web ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync()
    {
        await Oidc.InitializeAsync();
        _gateway = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["OIDC_AUTHORITY"] = Oidc.Authority,
            ["OIDC_AUDIENCE"] = OidcIssuer.Audience,
        });
        var gateway = _gateway;
        _ = gateway.Server;
        _web = new WebApplicationFactory<UserClient>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.UseSetting("OIDC_AUTHORITY", Oidc.Authority);
            web.UseSetting("SomaAgent:Web:GatewayUrl", "http://localhost/");
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(Time);
                services.RouteSdkTo(gateway);
            });
        });
        _ = _web.Server;
    }

    /// <summary>
    /// Signs <paramref name="user"/> in as a browser would: the Web's challenge, the issuer's login and consent pages,
    /// the code back to the Web. Returns the browser's cookies for the Web.
    /// </summary>
    public async Task<CookieJar> SignInAsync(string user, CancellationToken cancellationToken)
    {
        var jar = new CookieJar();
        using var web = Web.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        using var issuerHandler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
        using var issuer = new HttpClient(issuerHandler);

        var location = (await jar.SendAsync(web, HttpMethod.Get, "/account/login/oidc?returnUrl=/sessions", null, cancellationToken)).Location!;
        for (var step = 0; location.Host != "localhost"; step++)
        {
            step.ShouldBeLessThan(10, "the issuer's pages never led back to the Web");
            using var response = await issuer.GetAsync(location, cancellationToken);
            if (response.Headers.Location is { } next)
            {
                location = new Uri(location, next);
                continue;
            }
            var page = await response.Content.ReadAsStringAsync(cancellationToken);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, page);
            var action = new Uri(location, WebUtility.HtmlDecode(FormAction().Match(page).Groups[1].Value));
            var prompt = Prompt().Match(page).Groups[1].Value;
            var fields = new Dictionary<string, string> { ["prompt"] = prompt };
            if (prompt == "login")
            {
                fields["login"] = user;
                fields["password"] = "any";
            }
            using var submitted = await issuer.PostAsync(action, new FormUrlEncodedContent(fields), cancellationToken);
            location = new Uri(action, submitted.Headers.Location ?? throw new ShouldAssertException($"The issuer's {prompt} page answered {(int)submitted.StatusCode}."));
        }
        var signedIn = await jar.SendAsync(web, HttpMethod.Get, location.PathAndQuery, null, cancellationToken);
        signedIn.Location?.OriginalString.ShouldBe("/sessions");
        return jar;
    }

    /// <summary>The server-side ticket behind the browser's sign-in cookie: what the Web holds for the user now.</summary>
    public async Task<(string Key, AuthenticationTicket Ticket)> TicketAsync(CookieJar browser)
    {
        ArgumentNullException.ThrowIfNull(browser);
        var cookie = Web.Services.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieAuthenticationDefaults.AuthenticationScheme);
        var inCookie = cookie.TicketDataFormat.Unprotect(browser["somaagent.web"]) ?? throw new ShouldAssertException("The sign-in cookie does not decrypt.");
        var key = inCookie.Principal.FindFirst("Microsoft.AspNetCore.Authentication.Cookies-SessionId")!.Value;
        var ticket = await Web.Services.GetRequiredService<ITicketStore>().RetrieveAsync(key) ?? throw new ShouldAssertException("The ticket is gone.");
        return (key, ticket);
    }

    /// <summary>Moves the Web's clock to <paramref name="before"/> ahead of when <paramref name="user"/>'s access token expires.</summary>
    public void MoveToExpiry(ClaimsPrincipal user, TimeSpan before) =>
        Time.Advance(WebClaims.ExpiresAtOf(user)!.Value - before - Time.GetUtcNow());

    public async ValueTask DisposeAsync()
    {
        if (_web is not null)
        {
            await _web.DisposeAsync();
        }
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        await Oidc.DisposeAsync();
    }

    [GeneratedRegex("<form[^>]*action=\"([^\"]+)\"")]
    private static partial Regex FormAction();

    [GeneratedRegex("name=\"prompt\" value=\"([a-z]+)\"")]
    private static partial Regex Prompt();
}

/// <summary>
/// The system clock moved ahead by <see cref="Advance"/>: "now" jumps, while timers (the resilience handler's retry
/// delays) still run in real time, as a fake clock's would not until advanced.
/// </summary>
public sealed class ShiftedClock : TimeProvider
{
    private long _offsetTicks;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}

/// <summary>A browser's cookies for the Web: what it was set, sent back on every request.</summary>
public sealed class CookieJar
{
    private readonly Dictionary<string, string> _cookies = [];

    public string this[string name] => _cookies[name];

    public bool Has(string name) => _cookies.ContainsKey(name);

    /// <summary>Sends a request with the jar's cookies and keeps what the answer sets (or deletes).</summary>
    public async Task<(HttpStatusCode Status, Uri? Location)> SendAsync(HttpClient client, HttpMethod method, string path, HttpContent? content,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (_cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        }
        using var response = await client.SendAsync(request, cancellationToken);
        foreach (var header in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
        {
            var pair = header.Split(';')[0].Split('=', 2);
            if (header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase) || pair[1].Length == 0)
            {
                _cookies.Remove(pair[0]);
            }
            else
            {
                _cookies[pair[0]] = pair[1];
            }
        }
        return (response.StatusCode, response.Headers.Location);
    }
}
