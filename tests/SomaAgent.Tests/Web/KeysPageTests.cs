using Bunit;
using SomaAgent.Tests.Gateway;
using SomaAgent.Web.Keys;

namespace SomaAgent.Tests.Web;

[Collection(GatewayCollection.Name)]
public sealed class KeysPageTests(SharedGateway gateway) : WebComponentTests(gateway.App)
{
    [Fact]
    public void The_tenants_keys_are_listed_with_prefix_and_scopes_but_never_a_secret()
    {
        var page = Context.Render<KeysPage>();

        page.WaitForAssertion(() => page.FindAll("#keys-table tbody tr").Count.ShouldBeGreaterThan(0), TimeSpan.FromSeconds(10));
        page.Markup.ShouldContain("platform:admin");
        page.Markup.ShouldNotContain(GatewayApp.BootstrapKey);
        page.FindAll("#new-key").ShouldBeEmpty();
    }
}

[Collection(GatewayCollection.Name)]
public sealed class KeysPageOfAPlatformAdminTests(SharedGateway gateway) : WebComponentTests(gateway.App)
{
    [Fact]
    public async Task A_platform_admin_creates_a_tenant_and_sees_its_first_key_once()
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..10];
        var page = Context.Render<KeysPage>();
        page.WaitForAssertion(() => page.Find("#tenants").ShouldNotBeNull(), TimeSpan.FromSeconds(10));

        await page.Find("#tenant-id").InputAsync(new() { Value = id });
        await page.Find("#create-tenant").ClickAsync(new());

        page.WaitForAssertion(() => page.Find("#new-tenant-secret").TextContent.Length.ShouldBeGreaterThan(30), TimeSpan.FromSeconds(10));
        page.Find("#tenant-list").TextContent.ShouldContain(id);
        using var client = Gateway.CreateClientWith(page.Find("#new-tenant-secret").TextContent.Trim());
        var me = await client.GetStringAsync("/v1/me", Ct);
        me.ShouldContain(id);
        me.ShouldContain("tenant:admin");
    }
}

[Collection(GatewayCollection.Name)]
public sealed class KeysPageOfATenantAdminTests(SharedGateway gateway) : WebComponentTests(gateway.App, scope: "tenant:admin")
{
    [Fact]
    public void A_tenant_admin_sees_no_tenants_panel()
    {
        var page = Context.Render<KeysPage>();

        page.WaitForAssertion(() => page.FindAll("#keys-table tbody tr").Count.ShouldBeGreaterThan(0), TimeSpan.FromSeconds(10));
        page.FindAll("#tenants").ShouldBeEmpty();
    }
}

/// <summary>A user whose key was revoked after they signed in.</summary>
[Collection(GatewayCollection.Name)]
public sealed class KeysPageWithARevokedKeyTests(SharedGateway gateway) : WebComponentTests(gateway.App, credential: "sk-revoked-or-never-issued-0123456789abcdef")
{
    [Fact]
    public void The_page_says_to_sign_in_again_instead_of_failing()
    {
        var page = Context.Render<KeysPage>();

        page.WaitForAssertion(() => page.Find("#keys-error").TextContent.ShouldContain("Sign out and sign in again"), TimeSpan.FromSeconds(10));
    }
}
