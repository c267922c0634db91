using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;

namespace SomaAgent.Tests.AppHost;

/// <summary>
/// The Web UI in a real browser (Debian's Chromium, headless) against the running AppHost: Web, gateway and registry
/// as processes. Each test saves screenshots of the pages it passes through, at desktop and phone width.
/// </summary>
[Collection(EmbeddedTopologyCollection.Name)]
public sealed partial class WebBrowserTests(EmbeddedTopology topology, Chromium chromium) : IClassFixture<Chromium>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Uri Web => topology.App.GetEndpoint("web", "http");

    [Fact]
    public async Task Signing_in_with_a_key_and_running_a_session_shows_the_tool_call_and_the_streamed_answer()
    {
        var page = await SignedInAsync(Chromium.Desktop);
        await Chromium.ScreenshotAsync(page, "sessions");

        await page.GetByLabel("Your message").FillAsync("What is 6*7?");
        await page.ClickAsync("#start-session");
        await page.WaitForURLAsync(SessionUrl());
        await page.Locator(".assistant-message").Filter(new() { HasText = "6*7 = 42." }).WaitForAsync();

        (await page.Locator(".tool-call").InnerTextAsync()).ShouldContain("calculator");
        (await page.Locator(".tool-result").InnerTextAsync()).ShouldContain("42");
        (await page.Locator("#session-status").InnerTextAsync()).ShouldBe("completed");
        (await page.Locator("#signed-in-as").InnerTextAsync()).ShouldContain("tenant default");
        await Chromium.ScreenshotAsync(page, "session");
        await page.SetViewportSizeAsync(Chromium.Phone.Width, Chromium.Phone.Height);
        await Chromium.ScreenshotAsync(page, "session");
    }

    [Fact]
    public async Task A_reload_in_the_middle_of_an_answer_shows_it_whole_with_nothing_lost_or_repeated()
    {
        var page = await SignedInAsync(Chromium.Desktop);
        await StartLongTurnAsync(page);
        var id = Guid.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..]);

        await page.ReloadAsync();
        await page.Locator("#interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.Locator("#session-status").Filter(new() { HasText = "completed" }).WaitForAsync();

        var shown = await page.Locator(".assistant-message").InnerTextAsync();
        var stored = (await SessionAsync(id)).GetProperty("output").GetString()!;
        shown.ShouldBe("Assistant\n" + stored);
    }

    [Fact]
    public async Task Cancel_keeps_the_partial_answer_and_the_next_message_continues_the_conversation()
    {
        var page = await SignedInAsync(Chromium.Desktop);
        await StartLongTurnAsync(page);

        await page.ClickAsync("#cancel-turn");
        await page.Locator("#session-status").Filter(new() { HasText = "cancelled" }).WaitForAsync();
        var partial = await page.Locator(".assistant-message").First.InnerTextAsync();
        await page.GetByLabel("Next message").FillAsync("What is 5+5?");
        await page.ClickAsync("#send-message");
        await page.Locator(".assistant-message").Filter(new() { HasText = "5+5 = 10." }).WaitForAsync();

        partial.ShouldStartWith("Assistant");
        partial.ShouldContain("You said: \"word1 ");
        partial.ShouldNotContain("word150", Case.Sensitive, "the turn was cancelled before its answer ended");
        await Chromium.ScreenshotAsync(page, "session-cancelled");
    }

    [Fact]
    public async Task A_key_created_in_the_UI_works_until_it_is_revoked_there_and_then_the_API_answers_401()
    {
        var page = await SignedInAsync(Chromium.Desktop);
        await page.GetByRole(AriaRole.Link, new() { Name = "API keys" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/keys$"));
        var name = "ui-" + Guid.NewGuid().ToString("N")[..8];

        await page.Locator("#key-name").FillAsync(name);
        await page.ClickAsync("#create-key");
        var secret = (await page.Locator("#new-key-secret").InnerTextAsync()).Trim();
        await page.Locator("#keys-table").GetByText(name).WaitForAsync();
        await Chromium.ScreenshotAsync(page, "keys");
        var before = await MeAsync(secret);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke {name}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await page.Locator("#keys-table tr").Filter(new() { HasText = name }).GetByText("revoked").WaitForAsync();

        before.ShouldBe(HttpStatusCode.OK);
        (await MeAsync(secret)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Single_sign_on_through_the_OIDC_issuer_signs_the_user_in_as_themselves()
    {
        var page = await chromium.NewPageAsync(Chromium.Desktop);
        await page.GotoAsync(new Uri(Web, "account/login").ToString());

        await page.ClickAsync("#sign-in-oidc");
        await page.FillAsync("input[name=login]", "alice");
        await page.FillAsync("input[name=password]", "any");
        await page.ClickAsync("button[type=submit]");
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(new Regex("/sessions$"));
        await page.Locator("#interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });

        (await page.Locator("#signed-in-as").InnerTextAsync()).ShouldContain("alice · tenant default");
        await page.GetByLabel("Your message").FillAsync("What is 6*7?");
        await page.ClickAsync("#start-session");
        await page.Locator(".assistant-message").Filter(new() { HasText = "6*7 = 42." }).WaitForAsync();
    }

    [Fact]
    public async Task Signing_in_and_starting_a_session_work_from_the_keyboard_alone_and_the_dark_theme_is_a_click_away()
    {
        var page = await chromium.NewPageAsync(Chromium.Desktop);
        await page.GotoAsync(new Uri(Web, "account/login").ToString());

        await TabToAsync(page, "api-key");
        await page.Keyboard.TypeAsync(topology.BootstrapKey);
        await page.Keyboard.PressAsync("Enter");
        // Signed in, or told why not: a loaded machine (the whole suite at once) may take a while to answer.
        await page.Locator("#interactive, #login-error").First.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 60_000 });
        (await page.Locator("#login-error").CountAsync()).ShouldBe(0, await page.Locator("body").InnerTextAsync());
        page.Url.ShouldEndWith("/sessions");
        await page.Locator("#interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await TabToAsync(page, "new-session-input");
        await page.Keyboard.TypeAsync("What is 6*7?");
        // Start is enabled once the typed message reached the server, as a user sees it light up; Tab skips it before.
        await Assertions.Expect(page.Locator("#start-session")).ToBeEnabledAsync();
        await TabToAsync(page, "start-session");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(new Regex("/sessions/[0-9a-f-]{36}$"), new() { Timeout = 60_000 });
        await page.Locator(".assistant-message").Filter(new() { HasText = "6*7 = 42." }).WaitForAsync(new() { Timeout = 60_000 });

        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Light theme" }).WaitForAsync();
        await Chromium.ScreenshotAsync(page, "session-dark");
    }

    /// <summary>Presses Tab until the element with <paramref name="id"/> has the focus (at most 40 times).</summary>
    private static async Task TabToAsync(IPage page, string id)
    {
        for (var i = 0; i < 40; i++)
        {
            if (await page.EvaluateAsync<string?>("() => document.activeElement?.id") == id)
            {
                return;
            }
            await page.Keyboard.PressAsync("Tab");
        }
        throw new ShouldAssertException($"#{id} cannot be reached with the Tab key.");
    }

    [Fact]
    public async Task A_visitor_is_led_to_sign_in_and_a_wrong_key_is_named_as_refused()
    {
        foreach (var size in new[] { Chromium.Desktop, Chromium.Phone })
        {
            var page = await chromium.NewPageAsync(size);
            await page.GotoAsync(new Uri(Web, "keys").ToString());
            await page.WaitForURLAsync(new Regex("/account/login"));
            await page.FillAsync("#api-key", "sk-not-a-key-of-this-platform-0123456789");
            await page.ClickAsync("#sign-in");

            (await page.Locator("#login-error").InnerTextAsync()).ShouldContain("not accepted");
            await Chromium.ScreenshotAsync(page, "login");
        }
    }

    [Fact]
    public async Task A_capsule_is_found_in_the_marketplace_installed_from_its_page_and_shown_active()
    {
        using var tenant = new Registry.Marketplace.Tenant("default", topology.BootstrapKey, Gateway(), new Registry.Marketplace.TestPublisher());
        (await tenant.RegisterKeyAsync(tenant.Publisher.PublicPem)).Dispose();
        var name = await tenant.PublishNewAsync(manifest: null);
        var page = await SignedInAsync(Chromium.Desktop);

        await page.GetByRole(AriaRole.Link, new() { Name = "Marketplace" }).ClickAsync();
        await page.GetByLabel("Search").FillAsync(name);
        await page.ClickAsync("#search-capsules");
        var found = page.Locator("#capsules-table").GetByRole(AriaRole.Link, new() { Name = name });
        await found.WaitForAsync();
        await Chromium.ScreenshotAsync(page, "marketplace");
        await found.ClickAsync();
        await page.WaitForURLAsync(new Regex($"/marketplace/{name}$"));
        (await page.Locator("#signature-status").InnerTextAsync()).ShouldStartWith("verified by the Registry");
        await Chromium.ScreenshotAsync(page, "capsule");
        await page.ClickAsync("#install-capsule");
        await page.Locator("#capsule-versions").GetByText("installed · active").WaitForAsync();

        await page.SetViewportSizeAsync(Chromium.Phone.Width, Chromium.Phone.Height);
        await Chromium.ScreenshotAsync(page, "capsule");
        foreach (var path in new[] { "marketplace", "keys", "sessions" })
        {
            await page.GotoAsync(new Uri(Web, path).ToString());
            await page.Locator("#interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            await page.WaitForFunctionAsync("() => !/Loading|Searching…/.test(document.body.innerText)");
            await Chromium.ScreenshotAsync(page, path);
        }
    }

    /// <summary>An input the simulated model echoes at length: at the topology's pace its answer takes seconds to stream.</summary>
    private static readonly string LongInput = string.Join(' ', Enumerable.Range(1, 150).Select(i => $"word{i}"));

    /// <summary>Starts a session with <see cref="LongInput"/> and waits until its answer has begun to stream.</summary>
    private static async Task StartLongTurnAsync(IPage page)
    {
        await page.GetByLabel("Your message").FillAsync(LongInput);
        await page.ClickAsync("#start-session");
        await page.WaitForURLAsync(SessionUrl());
        await page.Locator(".assistant-message").Filter(new() { HasText = "You said" }).WaitForAsync();
        (await page.Locator("#session-status").InnerTextAsync()).ShouldBe("running");
    }

    private async Task<System.Text.Json.JsonElement> SessionAsync(Guid id)
    {
        using var gateway = Gateway();
        return await gateway.GetFromJsonAsync<System.Text.Json.JsonElement>($"/v1/sessions/{id}", Ct);
    }

    private HttpClient Gateway()
    {
        var gateway = new HttpClient { BaseAddress = topology.App.GetEndpoint("gateway", "http") };
        gateway.DefaultRequestHeaders.Authorization = new("Bearer", topology.BootstrapKey);
        return gateway;
    }

    /// <summary>A page signed in with the bootstrap key, on the sessions page and interactive.</summary>
    private async Task<IPage> SignedInAsync(ViewportSize size)
    {
        var page = await chromium.NewPageAsync(size);
        await page.GotoAsync(Web.ToString());
        await page.WaitForURLAsync(new Regex("/account/login"));
        await page.FillAsync("#api-key", topology.BootstrapKey);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(new Regex("/sessions$"));
        // Input counts once the page is live: the layout shows #interactive when its circuit is up.
        await page.Locator("#interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<HttpStatusCode> MeAsync(string key)
    {
        using var gateway = new HttpClient { BaseAddress = topology.App.GetEndpoint("gateway", "http") };
        gateway.DefaultRequestHeaders.Authorization = new("Bearer", key);
        using var response = await gateway.GetAsync("/v1/me", Ct);
        return response.StatusCode;
    }

    [GeneratedRegex("/sessions/[0-9a-f-]{36}$")]
    private static partial Regex SessionUrl();
}
