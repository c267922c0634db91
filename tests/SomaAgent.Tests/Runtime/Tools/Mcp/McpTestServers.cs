using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.McpTestServer;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Tools.Mcp;

/// <summary>
/// The test MCP server over streamable HTTP: <see cref="TestServerTools"/> hosted in-process by the SDK's
/// ASP.NET Core transport on a random loopback port.
/// </summary>
public sealed class McpHttpTestServer : IAsyncLifetime
{
    private WebApplication? _app;

    /// <summary>The MCP endpoint, e.g. <c>http://127.0.0.1:41234/mcp</c>.</summary>
    public string Url { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _app = LoopbackHttpServer.Create(builder => builder.Services.AddMcpServer().WithHttpTransport().WithTools<TestServerTools>());
        _app.MapMcp("/mcp");
        Url = $"{(await _app.StartOnLoopbackAsync(TestContext.Current.CancellationToken)).ToString().TrimEnd('/')}/mcp";
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}

/// <summary>How to start the test MCP server over stdio: its program sits next to the test assembly.</summary>
public static class McpStdioTestServer
{
    /// <summary>The <c>dotnet</c> host that runs these tests, so the child uses the same runtime.</summary>
    public static string Command
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            {
                return host;
            }
            // …/shared/Microsoft.NETCore.App/<version>/ → the dotnet root holds the host.
            var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
            var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
            return File.Exists(candidate) ? candidate : "dotnet";
        }
    }

    public static string Assembly { get; } = Path.Combine(AppContext.BaseDirectory, "SomaAgent.McpTestServer.dll");

    /// <summary>Settings that configure a stdio server named <paramref name="name"/>.</summary>
    public static Dictionary<string, string?> Settings(string name, double timeoutSeconds = 30) => new()
    {
        [$"SomaAgent:Tools:Mcp:Servers:{name}:Transport"] = "stdio",
        [$"SomaAgent:Tools:Mcp:Servers:{name}:Command"] = Command,
        [$"SomaAgent:Tools:Mcp:Servers:{name}:Arguments:0"] = Assembly,
        [$"SomaAgent:Tools:Mcp:Servers:{name}:TimeoutSeconds"] = timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>A loopback URL nothing listens on: the port was free a moment ago and is closed again.</summary>
public static class ClosedPort
{
    public static string Url()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/mcp";
    }
}
