using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SomaAgent.AppHost;

/// <summary>Healthy when a TCP connection opens: enough for servers that speak no HTTP, like Kafka.</summary>
internal static class TcpHealth
{
    public static async Task<HealthCheckResult> CheckAsync(string host, int port)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(host, port, timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{host}:{port} does not accept connections.", ex);
        }
    }
}
