using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SomaAgent.Engine.Tools.Mcp;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the tools of the MCP servers configured under <c>SomaAgent:Tools:Mcp</c>.</summary>
public static class McpToolsServiceCollectionExtensions
{
    /// <summary>Options (validated at start), the connecting hosted service and the <c>mcp-servers</c> health check.</summary>
    public static IServiceCollection AddMcpTools(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<McpToolsOptions>().BindConfiguration(McpToolsOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<McpToolsOptions>, McpToolsOptionsValidator>());
        services.TryAddSingleton<McpToolSource>();
        services.AddHostedService(sp => sp.GetRequiredService<McpToolSource>());
        services.AddHealthChecks().AddCheck<McpServersHealthCheck>("mcp-servers", tags: ["ready"]);
        return services;
    }
}
