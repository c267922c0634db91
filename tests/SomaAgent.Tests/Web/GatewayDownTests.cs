using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using SomaAgent.Tests.Gateway;
using SomaAgent.Web.Account;

namespace SomaAgent.Tests.Web;

/// <summary>The Web with its gateway away: it starts, serves its sign-in page, and says the platform is unreachable.</summary>
public sealed partial class GatewayDownTests : IAsyncDisposable
{
    private readonly WebApplicationFactory<UserClient> _web = new WebApplicationFactory<UserClient>().WithWebHostBuilder(web =>
    {
        // Nothing listens on the discard port: every call to the gateway is refused.
        web.UseSetting("SomaAgent:Web:GatewayUrl", "http://127.0.0.1:9/");
        web.UseEnvironment("Testing");
    });

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_sign_in_page_is_served_and_signing_in_says_the_platform_is_unreachable()
    {
        using var client = _web.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });

        using var login = await client.GetAsync("/account/login", Ct);
        var page = await login.Content.ReadAsStringAsync(Ct);
        using var signIn = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Token().Match(page).Groups[1].Value,
            ["_handler"] = "api-key",
            ["Input.Key"] = GatewayApp.BootstrapKey,
        }), Ct);
        var answer = WebUtility.HtmlDecode(await signIn.Content.ReadAsStringAsync(Ct));

        login.StatusCode.ShouldBe(HttpStatusCode.OK);
        page.ShouldContain("Sign in to SomaAgent");
        signIn.StatusCode.ShouldBe(HttpStatusCode.OK);
        answer.ShouldContain("The platform is unreachable right now");
        signIn.Headers.Contains("Set-Cookie").ShouldBeFalse();
    }

    [Fact]
    public async Task A_form_post_without_its_antiforgery_token_is_refused()
    {
        using var client = _web.CreateClient(new() { AllowAutoRedirect = false });

        using var signIn = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "api-key",
            ["Input.Key"] = GatewayApp.BootstrapKey,
        }), Ct);

        signIn.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    public ValueTask DisposeAsync() => _web.DisposeAsync();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
