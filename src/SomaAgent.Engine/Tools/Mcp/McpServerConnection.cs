using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Engine.Tools.Mcp;

/// <summary>How SomaAgent reaches an MCP server.</summary>
public enum McpTransportKind
{
    /// <summary>Not a known transport.</summary>
    Unknown,

    /// <summary>A child process spoken to over its standard input and output.</summary>
    Stdio,

    /// <summary>The streamable HTTP transport.</summary>
    Http,
}

/// <summary>Where a server's connection stands.</summary>
public enum McpServerState
{
    /// <summary>The first connection attempt has not finished yet.</summary>
    Connecting,

    /// <summary>Connected; its tools are in the catalog.</summary>
    Connected,

    /// <summary>Never reached, or the connection dropped; reconnection attempts go on with backoff.</summary>
    Disconnected,
}

/// <summary>
/// One configured MCP server: opens the client (starting the process for stdio), lists the tools, and routes
/// tool calls to the client it holds now. <see cref="McpToolSource"/> drives its reconnections.
/// </summary>
public sealed partial class McpServerConnection : IAsyncDisposable
{
    private readonly McpServerConfig _config;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private volatile McpClient? _client;
    private volatile string? _lastError;
    private volatile int _state = (int)McpServerState.Connecting;

    public McpServerConnection(string name, McpServerConfig config, ILoggerFactory loggerFactory)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Name = name;
        _config = config;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<McpServerConnection>();
    }

    /// <summary>The server's configured name (the prefix of its tools' names).</summary>
    public string Name { get; }

    /// <summary>The catalog source of its tools, <c>mcp:&lt;name&gt;</c>.</summary>
    public string Source => McpToolNames.Source(Name);

    public McpServerState State => (McpServerState)_state;

    /// <summary>Why the last connection attempt failed or the connection ended; null while connected.</summary>
    public string? LastError => _lastError;

    public static McpTransportKind ParseTransport(string? transport) => transport?.Trim().ToLowerInvariant() switch
    {
        "stdio" => McpTransportKind.Stdio,
        "http" or "streamable-http" or "streamablehttp" => McpTransportKind.Http,
        _ => McpTransportKind.Unknown,
    };

    /// <summary>Connects (replacing any previous client) and returns the server's tools as catalog entries.</summary>
    public async Task<IReadOnlyList<AgentTool>> ConnectAsync(CancellationToken cancellationToken)
    {
        await DisconnectAsync();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(_config.ConnectTimeoutSeconds));
        McpClient? client = null;
        try
        {
            client = await McpClient.CreateAsync(CreateTransport(), new McpClientOptions
            {
                ClientInfo = new Implementation { Name = "somaagent", Version = typeof(McpServerConnection).Assembly.GetName().Version?.ToString() ?? "1.0" },
            }, _loggerFactory, timeout.Token);
            var listed = await client.ListToolsAsync(cancellationToken: timeout.Token);
            var tools = SelectTools(listed.Select(t => t.ProtocolTool));
            _client = client;
            _lastError = null;
            _state = (int)McpServerState.Connected;
            return tools;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            await DisposeQuietlyAsync(client);
            throw new TimeoutException($"The MCP server did not connect and list its tools within {_config.ConnectTimeoutSeconds:0.###} s.");
        }
        catch
        {
            await DisposeQuietlyAsync(client);
            throw;
        }
    }

    /// <summary>Completes when the current connection ends (the process exits, the HTTP session is gone) or the token fires.</summary>
    public async Task WaitForDisconnectAsync(CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException($"The MCP server '{Name}' is not connected.");
        var details = await client.Completion.WaitAsync(cancellationToken);
        MarkDisconnected(details.Exception?.Message ?? "the connection closed");
    }

    /// <summary>Records a failed attempt or a dropped connection; the tools stay listed and calls fail clearly until it is back.</summary>
    public void MarkDisconnected(string reason)
    {
        _lastError = reason;
        _state = (int)McpServerState.Disconnected;
    }

    public async ValueTask<JsonElement> CallToolAsync(string tool, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        var client = _client;
        if (client is null || State != McpServerState.Connected)
        {
            throw new McpServerUnavailableException($"The MCP server '{Name}' is not connected ({LastError ?? "connecting"}); try again shortly.");
        }
        CallToolResult result;
        try
        {
            result = await client.CallToolAsync(tool, arguments, cancellationToken: cancellationToken);
        }
        catch (McpProtocolException ex)
        {
            // The server answered with a JSON-RPC error (unknown tool, invalid arguments, …): its message is for the model.
            throw new McpToolErrorException($"The MCP server '{Name}' refused the call: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not McpToolErrorException)
        {
            LogCallFailed(Name, tool, ex);
            throw new McpServerUnavailableException($"The MCP server '{Name}' could not be reached: {ex.Message}", ex);
        }
        return McpToolResults.ToJson(tool, result);
    }

    public async ValueTask DisposeAsync() => await DisconnectAsync();

    private async Task DisconnectAsync()
    {
        var client = Interlocked.Exchange(ref _client, null);
        await DisposeQuietlyAsync(client);
    }

    private async Task DisposeQuietlyAsync(McpClient? client)
    {
        if (client is null)
        {
            return;
        }
        try
        {
            await client.DisposeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Closing a connection that already broke may fail again; there is nothing left to release.
            LogDisposeFailed(Name, ex);
        }
    }

    private List<AgentTool> SelectTools(IEnumerable<Tool> listed)
    {
        var allowed = _config.Tools.Count == 0 ? null : _config.Tools.ToHashSet(StringComparer.Ordinal);
        var timeout = TimeSpan.FromSeconds(_config.TimeoutSeconds);
        var tools = new List<AgentTool>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tool in listed)
        {
            if (allowed is not null && !allowed.Remove(tool.Name))
            {
                continue;
            }
            var name = McpToolNames.Prefixed(Name, tool.Name);
            if (!names.Add(name))
            {
                LogDuplicateName(Name, tool.Name, name);
                continue;
            }
            tools.Add(new AgentTool(new McpToolFunction(this, tool, name), Source, timeout));
        }
        foreach (var missing in allowed ?? [])
        {
            LogAllowedToolMissing(Name, missing);
        }
        return tools;
    }

    private IClientTransport CreateTransport() => ParseTransport(_config.Transport) switch
    {
        McpTransportKind.Stdio => new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = Name,
            Command = _config.Command!,
            Arguments = [.. _config.Arguments],
            WorkingDirectory = string.IsNullOrWhiteSpace(_config.WorkingDirectory) ? null : _config.WorkingDirectory,
            EnvironmentVariables = new Dictionary<string, string?>(_config.Environment, StringComparer.Ordinal),
            StandardErrorLines = line => LogServerStandardError(Name, line),
        }, _loggerFactory),
        McpTransportKind.Http => new HttpClientTransport(new HttpClientTransportOptions
        {
            Name = Name,
            Endpoint = new Uri(_config.Url!),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string>(_config.Headers, StringComparer.OrdinalIgnoreCase),
            ConnectionTimeout = TimeSpan.FromSeconds(_config.ConnectTimeoutSeconds),
        }, _loggerFactory),
        _ => throw new InvalidOperationException($"Unknown MCP transport '{_config.Transport}'."),
    };

    [LoggerMessage(EventId = 1310, Level = LogLevel.Warning, Message = "MCP server {Server}: call of tool {Tool} failed in transport")]
    private partial void LogCallFailed(string server, string tool, Exception exception);

    [LoggerMessage(EventId = 1311, Level = LogLevel.Debug, Message = "MCP server {Server}: closing the client failed")]
    private partial void LogDisposeFailed(string server, Exception exception);

    [LoggerMessage(EventId = 1312, Level = LogLevel.Warning, Message = "MCP server {Server}: tool {Tool} maps to {Name}, which another of its tools already has; it is skipped")]
    private partial void LogDuplicateName(string server, string tool, string name);

    [LoggerMessage(EventId = 1313, Level = LogLevel.Warning, Message = "MCP server {Server}: the allow-listed tool {Tool} is not among the tools it lists")]
    private partial void LogAllowedToolMissing(string server, string tool);

    [LoggerMessage(EventId = 1314, Level = LogLevel.Debug, Message = "MCP server {Server} stderr: {Line}")]
    private partial void LogServerStandardError(string server, string line);
}
