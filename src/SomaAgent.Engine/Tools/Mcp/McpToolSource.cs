using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Engine.Tools.Mcp;

/// <summary>
/// Connects to every configured MCP server at start-up and puts its tools into the <see cref="ToolCatalog"/>.
/// Start-up waits (at most <see cref="McpToolsOptions.StartupWaitSeconds"/>) for each server's first attempt, so
/// reachable servers' tools are listed before the first request; a server that fails never stops the host:
/// it is logged, reported Degraded by the health check, and retried with exponential backoff and jitter.
/// A server that drops is reconnected the same way and its tool list refreshed; while it is away its tools
/// stay listed and calls to them fail with a clear, retryable error.
/// </summary>
public sealed partial class McpToolSource : BackgroundService
{
    private readonly ToolCatalog _catalog;
    private readonly McpToolsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<McpToolSource> _logger;
    private readonly Dictionary<string, TaskCompletionSource> _firstAttempts;

    public McpToolSource(ToolCatalog catalog, IOptions<McpToolsOptions> options, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _catalog = catalog;
        _options = options.Value;
        _time = time;
        _logger = loggerFactory.CreateLogger<McpToolSource>();
        Servers = [.. _options.Servers.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new McpServerConnection(s.Key, s.Value, loggerFactory))];
        _firstAttempts = Servers.ToDictionary(s => s.Name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), StringComparer.Ordinal);
    }

    /// <summary>The configured servers and where each stands.</summary>
    public IReadOnlyList<McpServerConnection> Servers { get; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        if (Servers.Count == 0)
        {
            return;
        }
        try
        {
            await Task.WhenAll(_firstAttempts.Values.Select(t => t.Task))
                .WaitAsync(TimeSpan.FromSeconds(_options.StartupWaitSeconds), _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            LogStartupWaitOver(_options.StartupWaitSeconds, string.Join(", ", Servers.Where(s => s.State == McpServerState.Connecting).Select(s => s.Name)));
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var server in Servers)
        {
            await server.DisposeAsync();
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Servers.Select(server => KeepConnectedAsync(server, stoppingToken)));

    private async Task KeepConnectedAsync(McpServerConnection server, CancellationToken stoppingToken)
    {
        var minDelay = TimeSpan.FromSeconds(_options.ReconnectMinDelaySeconds);
        var maxDelay = TimeSpan.FromSeconds(_options.ReconnectMaxDelaySeconds);
        var delay = minDelay;
        var attempt = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            attempt++;
            try
            {
                var tools = await server.ConnectAsync(stoppingToken);
                var shadowed = _catalog.SetSourceTools(server.Source, tools);
                LogConnected(server.Name, tools.Count - shadowed.Count, attempt);
                foreach (var name in shadowed)
                {
                    LogToolShadowed(server.Name, name);
                }
                _firstAttempts[server.Name].TrySetResult();
                attempt = 0;
                delay = minDelay;
                await server.WaitForDisconnectAsync(stoppingToken);
                LogDisconnected(server.Name, server.LastError);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Any failure of a server (bad command, refused connection, handshake error) is the server's
                // problem, not the host's: record it and try again later.
                server.MarkDisconnected(ex.Message);
                LogConnectFailed(server.Name, attempt, ex);
            }
            _firstAttempts[server.Name].TrySetResult();

            // Full jitter within the upper half keeps many hosts from reconnecting in step.
            var wait = delay * (0.5 + (Random.Shared.NextDouble() / 2));
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, maxDelay.Ticks));
            try
            {
                await Task.Delay(wait, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "MCP server {Server} connected with {ToolCount} tools (attempt {Attempt})")]
    private partial void LogConnected(string server, int toolCount, int attempt);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "MCP server {Server} could not be connected (attempt {Attempt}); retrying with backoff")]
    private partial void LogConnectFailed(string server, int attempt, Exception exception);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "MCP server {Server} disconnected: {Reason}; reconnecting")]
    private partial void LogDisconnected(string server, string? reason);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "MCP server {Server}: tool {Tool} is not offered, another source already has that name")]
    private partial void LogToolShadowed(string server, string tool);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "MCP servers still connecting after {Seconds} s of start-up: {Servers}; the host starts without their tools for now")]
    private partial void LogStartupWaitOver(double seconds, string servers);
}
