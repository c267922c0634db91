using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SomaAgent.McpTestServer;

/// <summary>
/// Serves <see cref="TestServerTools"/> over stdio (the default; standard output belongs to the protocol, so logs go
/// to stderr), or with <c>--http</c> over streamable HTTP at <c>/mcp</c> of <c>--urls</c>, as the sample capsule
/// <c>samples/capsules/text-tools</c> declares it: <c>--http --urls http://127.0.0.1:8790</c>.
/// </summary>
internal static class Program
{
    public static async Task Main(string[] args)
    {
        if (args.Contains("--http"))
        {
            var web = WebApplication.CreateBuilder([.. args.Where(a => a != "--http")]);
            web.Logging.SetMinimumLevel(LogLevel.Warning);
            web.Services.AddMcpServer(o => o.ServerInfo = new() { Name = "somaagent-test-server", Version = "1.0" })
                .WithHttpTransport()
                .WithTools<TestServerTools>();
            var app = web.Build();
            app.MapMcp("/mcp");
            await app.RunAsync();
            return;
        }
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
