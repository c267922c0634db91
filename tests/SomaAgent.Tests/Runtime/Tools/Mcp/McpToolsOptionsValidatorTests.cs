using SomaAgent.Engine.Tools.Mcp;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Runtime.Tools.Mcp;

public sealed class McpToolsOptionsValidatorTests
{
    private readonly McpToolsOptionsValidator _validator = new();

    [Fact]
    public void A_stdio_and_an_http_server_configured_completely_are_valid()
    {
        var options = new McpToolsOptions();
        options.Servers["files"] = new McpServerConfig { Transport = "stdio", Command = "mcp-files" };
        options.Servers["search-1"] = new McpServerConfig { Transport = "http", Url = "https://mcp.example.test/mcp" };

        _validator.Validate(null, options).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public void Every_problem_is_reported_at_once_naming_its_setting()
    {
        var options = new McpToolsOptions();
        options.Servers["ftp"] = new McpServerConfig { Transport = "ftp" };
        options.Servers["nocommand"] = new McpServerConfig { Transport = "stdio" };
        options.Servers["nourl"] = new McpServerConfig { Transport = "http", Url = "/relative" };
        options.Servers["bad_name"] = new McpServerConfig { Transport = "stdio", Command = "x", TimeoutSeconds = 0 };

        var result = _validator.Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.Failures.Count().ShouldBe(5);
        result.FailureMessage.ShouldContain("SomaAgent:Tools:Mcp:Servers:ftp:Transport must be 'stdio' or 'http', got 'ftp'.");
        result.FailureMessage.ShouldContain("SomaAgent:Tools:Mcp:Servers:nocommand:Command is required for the stdio transport");
        result.FailureMessage.ShouldContain("SomaAgent:Tools:Mcp:Servers:nourl:Url must be the absolute http(s) URL of the MCP endpoint for the http transport, got '/relative'.");
        result.FailureMessage.ShouldContain("SomaAgent:Tools:Mcp:Servers:bad_name: the server name must be 1 to 32 letters, digits or '-'");
        result.FailureMessage.ShouldContain("SomaAgent:Tools:Mcp:Servers:bad_name:TimeoutSeconds must be more than 0");
    }

    [Fact]
    public async Task A_gateway_with_a_bad_MCP_server_setting_fails_to_start_with_the_setting_named()
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["SomaAgent:Tools:Mcp:Servers:files:Transport"] = "carrier-pigeon",
        });

        var error = Should.Throw<Exception>(() => _ = app.Server);

        error.ToString().ShouldContain("SomaAgent:Tools:Mcp:Servers:files:Transport must be 'stdio' or 'http', got 'carrier-pigeon'.");
    }
}
