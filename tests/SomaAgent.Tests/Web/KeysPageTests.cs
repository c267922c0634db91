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
