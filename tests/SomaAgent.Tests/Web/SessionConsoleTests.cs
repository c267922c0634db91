using Bunit;
using SomaAgent.Tests.Gateway;
using SomaAgent.Web.Sessions;

namespace SomaAgent.Tests.Web;

[Collection(GatewayCollection.Name)]
public sealed class SessionConsoleTests(SharedGateway gateway) : WebComponentTests(gateway.App)
{
    [Fact]
    public async Task An_ended_session_shows_its_transcript_with_the_tool_call_and_its_result()
    {
        var id = await EndedSessionAsync("What is 6*7?");

        var page = Context.Render<SessionConsole>(p => p.Add(c => c.Id, id));

        page.WaitForAssertion(() => page.Find("#session-status").TextContent.ShouldContain("completed"), TimeSpan.FromSeconds(10));
        page.Find(".user-message").TextContent.ShouldContain("What is 6*7?");
        page.Find(".tool-call").TextContent.ShouldContain("calculator");
        page.Find(".tool-result").TextContent.ShouldContain("42");
        page.Find(".assistant-message").TextContent.ShouldContain("6*7 = 42.");
        page.Find("#cancel-turn").HasAttribute("disabled").ShouldBeTrue();
    }

    [Fact]
    public void A_session_of_another_tenant_or_none_says_so_instead_of_failing()
    {
        var page = Context.Render<SessionConsole>(p => p.Add(c => c.Id, Guid.NewGuid()));

        page.WaitForAssertion(() => page.Find("#session-error").TextContent.ShouldContain("no such session"), TimeSpan.FromSeconds(10));
    }
}
