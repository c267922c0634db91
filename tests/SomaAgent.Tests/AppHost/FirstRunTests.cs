using SomaAgent.AppHost;

namespace SomaAgent.Tests.AppHost;

/// <summary>What the run command prints when it starts: the Web UI, the gateway, the dashboard and the key to sign in with.</summary>
public sealed class FirstRunTests
{
    [Fact]
    public void The_banner_names_the_web_ui_the_gateway_the_dashboard_and_the_first_key()
    {
        var banner = FirstRun.Banner("http://localhost:5140", "http://localhost:8010", "http://localhost:18888", "sk-first-key", chosen: false);

        banner.ShouldContain("Web UI     http://localhost:5140");
        banner.ShouldContain("Gateway    http://localhost:8010");
        banner.ShouldContain("Dashboard  http://localhost:18888");
        banner.ShouldContain("First key  sk-first-key");
        banner.ShouldContain("SOMAAGENT_BOOTSTRAP_KEY=... eng/run.sh");
    }

    [Fact]
    public void A_key_the_user_chose_is_named_as_theirs()
    {
        FirstRun.Banner("http://w", "http://g", null, "mine", chosen: true).ShouldContain("the SOMAAGENT_BOOTSTRAP_KEY you started with");
    }
}
