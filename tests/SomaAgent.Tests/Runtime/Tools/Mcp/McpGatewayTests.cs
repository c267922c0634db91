using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Engine.Tools;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Tools;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Runtime.Tools.Mcp;

/// <summary>
/// MCP tools inside the real gateway: listed by <c>/v1/tools</c>, run through the <see cref="ToolExecutor"/>
/// exactly as the tool executor receives calls from the bus, and called by a session's model.
/// </summary>
[Collection(McpGatewayCollection.Name)]
public sealed class McpGatewayTests(McpGateway gateway)
{
    private readonly GatewayApp _app = gateway.App;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tools_of_the_http_server_are_listed_with_prefixed_names_their_source_and_schema()
    {
        var tools = await ListToolsAsync();

        tools.Keys.Where(n => n.StartsWith("web__", StringComparison.Ordinal))
            .ShouldBe(["web__add", "web__describe", "web__echo", "web__fail", "web__process_id", "web__sleep"], ignoreOrder: true);
        var add = tools["web__add"];
        add.GetProperty("source").GetString().ShouldBe("mcp:web");
        add.GetProperty("description").GetString().ShouldBe("Adds two integers.");
        add.GetProperty("timeout_seconds").GetInt32().ShouldBe(30);
        var parameters = add.GetProperty("parameters");
        parameters.GetProperty("type").GetString().ShouldBe("object");
        parameters.GetProperty("properties").GetProperty("a").GetProperty("type").GetString().ShouldBe("integer");
        parameters.GetProperty("required").EnumerateArray().Select(r => r.GetString()).ShouldBe(["a", "b"], ignoreOrder: true);
    }

    [Fact]
    public async Task Tools_of_the_stdio_server_are_listed_with_its_source_and_timeout()
    {
        var tools = await ListToolsAsync();

        var echo = tools["local__echo"];
        echo.GetProperty("source").GetString().ShouldBe("mcp:local");
        echo.GetProperty("timeout_seconds").GetInt32().ShouldBe((int)McpGateway.LocalTimeoutSeconds);
        echo.GetProperty("parameters").GetProperty("properties").GetProperty("text").GetProperty("type").GetString().ShouldBe("string");
    }

    [Fact]
    public async Task The_allow_list_offers_only_the_named_tools_of_a_server()
    {
        var tools = await ListToolsAsync();

        tools.Keys.Where(n => n.StartsWith("limited__", StringComparison.Ordinal)).ShouldBe(["limited__echo"]);
    }

    [Fact]
    public async Task An_unreachable_server_lists_no_tools_and_leaves_the_gateway_up_but_degraded()
    {
        var tools = await ListToolsAsync();
        using var client = _app.CreateClient();

        var health = await client.GetFromJsonAsync<JsonElement>("/v1/health", Ct);

        tools.Keys.ShouldNotContain(n => n.StartsWith("down__", StringComparison.Ordinal));
        tools.Keys.ShouldContain("calculator");
        health.GetProperty("status").GetString().ShouldBe("degraded");
        var mcp = health.GetProperty("checks").GetProperty("mcp-servers");
        mcp.GetProperty("status").GetString().ShouldBe("degraded");
        mcp.GetProperty("description").GetString()!.ShouldContain("down (disconnected:");
        mcp.GetProperty("description").GetString()!.ShouldNotContain("web");
    }

    [Fact]
    public async Task A_call_of_an_http_server_tool_returns_its_result()
    {
        var result = await RunToolAsync("web__add", """{"a": 40, "b": 2}""");

        result.IsError.ShouldBeFalse();
        result.Json.GetInt64().ShouldBe(42);
    }

    [Fact]
    public async Task A_call_of_a_stdio_server_tool_runs_in_a_separate_process_and_returns_its_result()
    {
        var echo = await RunToolAsync("local__echo", """{"text": "héllo over stdio"}""");
        var pid = await RunToolAsync("local__process_id", "{}");

        echo.IsError.ShouldBeFalse();
        echo.Json.GetString().ShouldBe("héllo over stdio");
        pid.Json.GetInt32().ShouldNotBe(Environment.ProcessId);
    }

    [Fact]
    public async Task A_JSON_object_returned_as_text_reaches_the_model_as_JSON()
    {
        var result = await RunToolAsync("web__describe", """{"text": "three little words"}""");

        result.IsError.ShouldBeFalse();
        result.Json.GetProperty("characters").GetInt32().ShouldBe(18);
        result.Json.GetProperty("words").GetInt32().ShouldBe(3);
    }

    [Fact]
    public async Task An_error_result_of_an_MCP_tool_becomes_an_error_result_with_its_message()
    {
        var result = await RunToolAsync("local__fail", """{"reason": "the disk is full"}""");

        result.IsError.ShouldBeTrue();
        result.Json.GetProperty("error").GetString().ShouldBe("the disk is full");
    }

    [Fact]
    public async Task An_MCP_tool_slower_than_its_server_timeout_becomes_a_timeout_error()
    {
        var result = await RunToolAsync("local__sleep", """{"milliseconds": 20000}""");

        result.IsError.ShouldBeTrue();
        result.Json.GetProperty("error").GetString().ShouldBe($"The tool did not answer within {McpGateway.LocalTimeoutSeconds} s.");
    }

    [Fact]
    public async Task A_session_whose_model_calls_an_MCP_tool_answers_from_its_result()
    {
        var id = await _app.CreateSessionAsync(new { input = """call web__add {"a": 2, "b": 40}""" }, Ct);

        var session = await _app.WaitForEndAsync(id, Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString().ShouldBe("The web__add tool returned 42.");
    }

    [Fact]
    public async Task A_session_may_name_MCP_tools_and_an_unknown_one_is_refused()
    {
        using var client = _app.CreateClient();

        using var named = await client.PostAsJsonAsync("/v1/sessions", new { input = "hello", tools = (string[])["web__echo", "local__echo"] }, GatewayApp.Json, Ct);
        using var unknown = await client.PostAsJsonAsync("/v1/sessions", new { input = "hello", tools = (string[])["down__echo"] }, GatewayApp.Json, Ct);

        named.IsSuccessStatusCode.ShouldBeTrue();
        ((int)unknown.StatusCode).ShouldBe(400);
        (await unknown.Content.ReadAsStringAsync(Ct)).ShouldContain("Unknown tool 'down__echo'");
    }

    private async Task<Dictionary<string, JsonElement>> ListToolsAsync()
    {
        using var client = _app.CreateClient();
        var tools = await client.GetFromJsonAsync<JsonElement>("/v1/tools", Ct);
        return tools.GetProperty("data").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, StringComparer.Ordinal);
    }

    private Task<ToolRun> RunToolAsync(string tool, string argumentsJson) =>
        _app.RunToolAsync(Guid.NewGuid(), tool, argumentsJson, Ct);
}
