using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Runtime.Tools.Mcp;

/// <summary>One gateway configured with MCP servers the tests start, shared by the MCP end-to-end tests.</summary>
[CollectionDefinition(Name)]
public sealed class McpGatewayCollection : ICollectionFixture<McpGateway>
{
    public const string Name = "mcp-gateway";
}

/// <summary>
/// The gateway with four MCP servers: <c>web</c> (the HTTP test server), <c>local</c> (the stdio test server
/// as a child process, 2 s per call), <c>limited</c> (the HTTP server with only <c>echo</c> allowed) and
/// <c>down</c> (an HTTP URL nothing answers).
/// </summary>
public sealed class McpGateway : IAsyncLifetime
{
    public const double LocalTimeoutSeconds = 2;

    private readonly McpHttpTestServer _http = new();
    private GatewayApp? _app;

    public GatewayApp App => _app ?? throw new InvalidOperationException("The fixture has not started.");

    public async ValueTask InitializeAsync()
    {
        await _http.InitializeAsync();
        var settings = McpStdioTestServer.Settings("local", LocalTimeoutSeconds);
        settings["SomaAgent:Tools:Mcp:Servers:web:Transport"] = "http";
        settings["SomaAgent:Tools:Mcp:Servers:web:Url"] = _http.Url;
        settings["SomaAgent:Tools:Mcp:Servers:limited:Transport"] = "http";
        settings["SomaAgent:Tools:Mcp:Servers:limited:Url"] = _http.Url;
        settings["SomaAgent:Tools:Mcp:Servers:limited:Tools:0"] = "echo";
        settings["SomaAgent:Tools:Mcp:Servers:down:Transport"] = "http";
        settings["SomaAgent:Tools:Mcp:Servers:down:Url"] = ClosedPort.Url();
        settings["SomaAgent:Tools:Mcp:Servers:down:ConnectTimeoutSeconds"] = "2";
        _app = new GatewayApp(settings: settings);
        _ = _app.Server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        await _http.DisposeAsync();
    }
}
