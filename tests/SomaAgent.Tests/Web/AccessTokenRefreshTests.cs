using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Web.Account;

namespace SomaAgent.Tests.Web;

/// <summary>
/// A single-sign-on user stays signed in past their access token's short life: the refresh token kept in their
/// server-side ticket renews it just before it expires, on a page load or on a live page's next call, once.
/// </summary>
public sealed class AccessTokenRefreshTests(SingleSignOnWeb sso) : IClassFixture<SingleSignOnWeb>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_token_about_to_expire_is_renewed_on_the_next_page_load_and_the_gateway_takes_the_new_one()
    {
        var browser = await sso.SignInAsync("carol", Ct);
        var (_, before) = await sso.TicketAsync(browser);
        sso.MoveToExpiry(before.Principal, before: TimeSpan.FromSeconds(30));

        var page = await LoadAsync(browser, "/sessions");
        var (_, after) = await sso.TicketAsync(browser);

        page.Status.ShouldBe(HttpStatusCode.OK);
        Claim(after, WebClaims.Credential).ShouldNotBe(Claim(before, WebClaims.Credential));
        Claim(after, WebClaims.RefreshToken).ShouldNotBe(Claim(before, WebClaims.RefreshToken));
        WebClaims.ExpiresAtOf(after.Principal)!.Value.ShouldBeGreaterThan(sso.Time.GetUtcNow().Add(AccessTokens.Margin));
        using var gateway = sso.Gateway.CreateClientWith(Claim(after, WebClaims.Credential));
        (await gateway.GetStringAsync("/v1/me", Ct)).ShouldContain("\"carol\"");
    }

    [Fact]
    public async Task A_token_far_from_expiry_is_left_as_it_is()
    {
        var browser = await sso.SignInAsync("dave", Ct);
        var (_, before) = await sso.TicketAsync(browser);

        var page = await LoadAsync(browser, "/sessions");
        var (_, after) = await sso.TicketAsync(browser);

        page.Status.ShouldBe(HttpStatusCode.OK);
        Claim(after, WebClaims.Credential).ShouldBe(Claim(before, WebClaims.Credential));
        Claim(after, WebClaims.RefreshToken).ShouldBe(Claim(before, WebClaims.RefreshToken));
    }

    [Fact]
    public async Task When_the_identity_provider_refuses_the_refresh_the_user_is_sent_to_sign_in()
    {
        var browser = await sso.SignInAsync("erin", Ct);
        var (key, ticket) = await sso.TicketAsync(browser);
        // As when the user's session at the identity provider ended: their refresh token is no longer good.
        var revoked = WebClaims.WithTokens(ticket.Principal, Claim(ticket, WebClaims.Credential), "no-longer-valid", WebClaims.ExpiresAtOf(ticket.Principal)!.Value);
        await sso.Web.Services.GetRequiredService<ITicketStore>().RenewAsync(key, new AuthenticationTicket(revoked, ticket.Properties, ticket.AuthenticationScheme), Ct);
        sso.MoveToExpiry(ticket.Principal, before: TimeSpan.FromSeconds(30));

        var page = await LoadAsync(browser, "/sessions");

        page.Status.ShouldBe(HttpStatusCode.Redirect);
        new Uri(new Uri("http://localhost/"), page.Location!).AbsolutePath.ShouldBe("/account/login");
        browser.Has("somaagent.web").ShouldBeFalse();
    }

    [Fact]
    public async Task A_page_left_open_renews_the_token_for_its_next_call_and_writes_it_back_for_the_next_page_load()
    {
        var browser = await sso.SignInAsync("frank", Ct);
        var (_, ticket) = await sso.TicketAsync(browser);
        var page = OpenPage(ticket.Principal);
        await (await page.GetAsync()).GetCallerAsync(Ct);
        sso.MoveToExpiry(ticket.Principal, before: TimeSpan.FromSeconds(30));

        var caller = await (await page.GetAsync()).GetCallerAsync(Ct);
        var (_, after) = await sso.TicketAsync(browser);

        caller.Subject.ShouldBe("frank");
        Claim(after, WebClaims.Credential).ShouldNotBe(Claim(ticket, WebClaims.Credential));
        (await LoadAsync(browser, "/sessions")).Status.ShouldBe(HttpStatusCode.OK);
        Claim((await sso.TicketAsync(browser)).Ticket, WebClaims.Credential).ShouldBe(Claim(after, WebClaims.Credential));
    }

    [Fact]
    public async Task Two_open_pages_of_one_user_spend_the_rotating_refresh_token_once()
    {
        var browser = await sso.SignInAsync("grace", Ct);
        var (_, ticket) = await sso.TicketAsync(browser);
        var pages = new[] { OpenPage(ticket.Principal), OpenPage(ticket.Principal) };
        sso.MoveToExpiry(ticket.Principal, before: TimeSpan.FromSeconds(30));

        var callers = await Task.WhenAll(pages.Select(async p => await (await p.GetAsync()).GetCallerAsync(Ct)));
        var (_, after) = await sso.TicketAsync(browser);

        callers.ShouldAllBe(c => c.Subject == "grace");
        Claim(after, WebClaims.Credential).ShouldNotBe(Claim(ticket, WebClaims.Credential));
        // A refresh token spent twice makes the issuer revoke the whole grant; spent once, the next renewal works too.
        sso.MoveToExpiry(after.Principal, before: TimeSpan.FromSeconds(30));
        (await LoadAsync(browser, "/sessions")).Status.ShouldBe(HttpStatusCode.OK);
        Claim((await sso.TicketAsync(browser)).Ticket, WebClaims.Credential).ShouldNotBe(Claim(after, WebClaims.Credential));
    }

    private async Task<(HttpStatusCode Status, Uri? Location)> LoadAsync(CookieJar browser, string path)
    {
        using var web = sso.Web.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        return await browser.SendAsync(web, HttpMethod.Get, path, null, Ct);
    }

    /// <summary>The <see cref="UserClient"/> of a live page (a circuit) of <paramref name="user"/>, as signed in.</summary>
    private UserClient OpenPage(ClaimsPrincipal user) =>
        ActivatorUtilities.CreateInstance<UserClient>(sso.Web.Services, new SignedIn(user));

    private static string Claim(AuthenticationTicket ticket, string type) => ticket.Principal.FindFirst(type)!.Value;

    private sealed class SignedIn(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
