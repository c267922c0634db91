using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SomaAgent.Engine.Tools.Mcp;

/// <summary>
/// Degraded (never Unhealthy) while any configured MCP server is not connected: the host still serves every
/// other tool, so an MCP outage must not take it out of rotation.
/// </summary>
internal sealed class McpServersHealthCheck(McpToolSource source) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (source.Servers.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("No MCP servers are configured."));
        }
        var down = source.Servers.Where(s => s.State != McpServerState.Connected).ToList();
        if (down.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"{source.Servers.Count} MCP server(s) connected: {string.Join(", ", source.Servers.Select(s => s.Name))}."));
        }
        var data = source.Servers.ToDictionary(s => s.Name, s => (object)s.State.ToString().ToLowerInvariant(), StringComparer.Ordinal);
        return Task.FromResult(HealthCheckResult.Degraded(
            $"MCP server(s) not connected: {string.Join("; ", down.Select(s => $"{s.Name} ({s.State.ToString().ToLowerInvariant()}: {s.LastError ?? "first attempt running"})"))}.",
            data: data));
    }
}
