using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SomaAgent.Engine.Tools.Mcp;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Tests.Runtime.Tools.Mcp;

/// <summary>The connecting service on its own, with stdio servers it starts as real child processes.</summary>
public sealed class McpToolSourceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stdio_server_that_dies_is_restarted_and_its_tools_answer_again()
    {
        var catalog = new ToolCatalog([]);
        var source = CreateSource(catalog, "local", new McpServerConfig { Transport = "stdio", Command = McpStdioTestServer.Command, Arguments = { McpStdioTestServer.Assembly } });
        await source.StartAsync(Ct);
        try
        {
            catalog.TryGet("local__process_id", out var tool).ShouldBeTrue();
            var first = await ProcessIdAsync(tool);

            // The child process is one this test started (through the source); end exactly that one.
            using (var child = Process.GetProcessById(first))
            {
                child.Kill();
            }
            var second = await WaitForAnswerAsync(catalog, TimeSpan.FromSeconds(30));

            second.ShouldNotBe(first);
            source.Servers.ShouldHaveSingleItem().State.ShouldBe(McpServerState.Connected);
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_server_that_cannot_start_leaves_start_up_going_lists_nothing_and_is_reported_degraded()
    {
        var catalog = new ToolCatalog([]);
        var source = CreateSource(catalog, "broken", new McpServerConfig { Transport = "stdio", Command = "/nonexistent/somaagent-no-such-mcp-server" });

        await source.StartAsync(Ct);
        try
        {
            var health = await new McpServersHealthCheck(source).CheckHealthAsync(new HealthCheckContext(), Ct);

            catalog.All.ShouldBeEmpty();
            var server = source.Servers.ShouldHaveSingleItem();
            server.State.ShouldBe(McpServerState.Disconnected);
            server.LastError.ShouldNotBeNullOrWhiteSpace();
            health.Status.ShouldBe(HealthStatus.Degraded);
            health.Description!.ShouldContain("broken (disconnected:");
        }
        finally
        {
            await source.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Without_servers_start_up_is_immediate_and_health_is_healthy()
    {
        var source = new McpToolSource(new ToolCatalog([]), Options.Create(new McpToolsOptions()), TimeProvider.System, NullLoggerFactory.Instance);

        await source.StartAsync(Ct);
        var health = await new McpServersHealthCheck(source).CheckHealthAsync(new HealthCheckContext(), Ct);
        await source.StopAsync(CancellationToken.None);

        health.Status.ShouldBe(HealthStatus.Healthy);
        health.Description.ShouldBe("No MCP servers are configured.");
    }

    private static McpToolSource CreateSource(ToolCatalog catalog, string name, McpServerConfig config)
    {
        var options = new McpToolsOptions { ReconnectMinDelaySeconds = 0.05, ReconnectMaxDelaySeconds = 0.5, StartupWaitSeconds = 30 };
        options.Servers[name] = config;
        return new McpToolSource(catalog, Options.Create(options), TimeProvider.System, NullLoggerFactory.Instance);
    }

    private static async Task<int> ProcessIdAsync(AgentTool tool)
    {
        var result = await tool.Function.InvokeAsync(new AIFunctionArguments(), Ct);
        return result.ShouldBeOfType<JsonElement>().GetInt32();
    }

    /// <summary>Calls <c>process_id</c> until the reconnected server answers; calls in between fail as unavailable.</summary>
    private static async Task<int> WaitForAnswerAsync(ToolCatalog catalog, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                catalog.TryGet("local__process_id", out var tool).ShouldBeTrue();
                return await ProcessIdAsync(tool);
            }
            catch (McpServerUnavailableException) when (deadline.Elapsed < timeout)
            {
                await Task.Delay(50, Ct);
            }
        }
    }
}
