using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SomaAgent.McpTestServer;

/// <summary>Serves <see cref="TestServerTools"/> over stdio; standard output belongs to the protocol, so logs go to stderr.</summary>
internal static class Program
{
    public static async Task Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMcpServer(o => o.ServerInfo = new() { Name = "somaagent-test-server", Version = "1.0" })
            .WithStdioServerTransport()
            .WithTools<TestServerTools>();
        await builder.Build().RunAsync();
    }
}
