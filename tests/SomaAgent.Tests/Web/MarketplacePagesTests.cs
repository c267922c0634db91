using System.Net;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Gateway.Registry;
using SomaAgent.Tests.Registry.Marketplace;
using SomaAgent.Web.Marketplace;

namespace SomaAgent.Tests.Web;

/// <summary>The marketplace pages against a gateway forwarding to a real Registry, as the default tenant's admin.</summary>
[Collection(ForwardingCollection.Name)]
public sealed class MarketplacePagesTests(ForwardingGateway apps) : WebComponentTests(apps.Gateway)
{
    [Fact]
    public async Task A_published_capsule_is_found_and_its_page_shows_its_tools_signature_and_digest()
    {
        var name = await PublishAsync();

        Context.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo($"marketplace?q={name}");
        var list = Context.Render<MarketplacePage>();
        list.WaitForAssertion(() => list.Markup.ShouldContain(name), TimeSpan.FromSeconds(10));
        var page = Context.Render<CapsulePage>(p => p.Add(c => c.Name, name));

        page.WaitForAssertion(() => page.Find("#signature-status").TextContent.ShouldStartWith("verified by the Registry, key sha256:"), TimeSpan.FromSeconds(10));
        page.Find("#capsule-tools").TextContent.ShouldBe("calculator");
        page.Find("#capsule-readme").TextContent.ShouldContain(name);
        page.Markup.ShouldContain("sha256:");
    }

    [Fact]
    public async Task Searches_that_overlap_show_the_capsule_once()
    {
        var name = await PublishAsync();
        Context.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo($"marketplace?q={name}");
        var list = Context.Render<MarketplacePage>();

        // The page's own first search may still be loading; two clicks more, none awaited before the next.
        var first = list.InvokeAsync(() => list.Find("#search-capsules").ClickAsync(new()));
        var second = list.InvokeAsync(() => list.Find("#search-capsules").ClickAsync(new()));
        await Task.WhenAll(first, second);

        list.WaitForAssertion(() => list.FindAll("#capsules-table a").Count(a => a.TextContent == name).ShouldBe(1), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Installing_from_the_capsule_page_shows_the_installation_and_its_status()
    {
        var name = await PublishAsync();
        var page = Context.Render<CapsulePage>(p => p.Add(c => c.Name, name));
        page.WaitForAssertion(() => page.Find("#install-capsule").HasAttribute("disabled").ShouldBeFalse(), TimeSpan.FromSeconds(10));

        await page.Find("#install-capsule").ClickAsync(new());

        page.WaitForAssertion(() => page.Find("#capsule-versions").TextContent.ShouldContain("installed · active"), TimeSpan.FromSeconds(10));
        page.Find("#install-capsule").HasAttribute("disabled").ShouldBeTrue();
    }

    [Fact]
    public async Task A_yanked_version_is_marked_and_cannot_be_installed()
    {
        var name = await PublishAsync();
        using var tenant = await DefaultTenantAsync();
        (await tenant.Client.PostAsync($"/v1/capsules/{name}/1.0.0/yank", JsonContent("{\"reason\":\"wrong sums\"}"), Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var page = Context.Render<CapsulePage>(p => p.Add(c => c.Name, name));

        page.WaitForAssertion(() => page.Find("#version-yanked").TextContent.ShouldContain("wrong sums"), TimeSpan.FromSeconds(10));
        page.Find("#install-capsule").HasAttribute("disabled").ShouldBeTrue();
    }

    [Fact]
    public void A_capsule_nobody_can_see_says_so()
    {
        var page = Context.Render<CapsulePage>(p => p.Add(c => c.Name, "never-published-" + Guid.NewGuid().ToString("N")[..8]));

        page.WaitForAssertion(() => page.Find("#capsule-error").TextContent.ShouldContain("no capsule named"), TimeSpan.FromSeconds(10));
    }

    private async Task<string> PublishAsync()
    {
        using var tenant = await DefaultTenantAsync();
        var name = "web-" + Guid.NewGuid().ToString("N")[..10];
        await tenant.PublishNewAsync("1.0.0", name: name, manifest: $"""
            name: {name}
            version: 1.0.0
            description: Sums for the Web tests.
            publisher: Acme Labs
            tools:
              builtin: [calculator]
            readme: README.md
            """);
        return name;
    }

    private async Task<Tenant> DefaultTenantAsync()
    {
        var tenant = new Tenant("default", GatewayApp.BootstrapKey, apps.Gateway.CreateClient(), new TestPublisher());
        using var registered = await tenant.RegisterKeyAsync(tenant.Publisher.PublicPem);
        registered.StatusCode.ShouldBeOneOf(HttpStatusCode.Created, HttpStatusCode.Conflict);
        return tenant;
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
