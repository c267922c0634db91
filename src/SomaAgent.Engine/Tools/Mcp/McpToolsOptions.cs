namespace SomaAgent.Engine.Tools.Mcp;

/// <summary>
/// MCP servers whose tools this deployment offers (section <c>SomaAgent:Tools:Mcp</c>). Each entry of
/// <see cref="Servers"/> is one server; its key is the server's name and prefixes its tools' names.
/// </summary>
public sealed class McpToolsOptions
{
    public const string SectionName = "SomaAgent:Tools:Mcp";

    /// <summary>The servers by name (letters, digits, <c>-</c>; at most 32 characters). Empty by default.</summary>
    public IDictionary<string, McpServerConfig> Servers { get; } = new Dictionary<string, McpServerConfig>(StringComparer.Ordinal);

    /// <summary>First pause before reconnecting to a server that failed or went away; doubles up to the maximum. Default 1 s.</summary>
    public double ReconnectMinDelaySeconds { get; set; } = 1;

    /// <summary>Longest pause between reconnection attempts. Default 60 s.</summary>
    public double ReconnectMaxDelaySeconds { get; set; } = 60;

    /// <summary>
    /// How long start-up waits for the servers' first connection before the host starts anyway (servers not
    /// connected by then keep trying in the background). Default 15 s.
    /// </summary>
    public double StartupWaitSeconds { get; set; } = 15;
}

/// <summary>One MCP server: how to reach it and which of its tools to offer.</summary>
public sealed class McpServerConfig
{
    /// <summary>Required: <c>stdio</c> (start <see cref="Command"/> as a child process) or <c>http</c> (streamable HTTP at <see cref="Url"/>).</summary>
    public string? Transport { get; set; }

    /// <summary>stdio: the program to start. Required for stdio.</summary>
    public string? Command { get; set; }

    /// <summary>stdio: its arguments, in order.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>stdio: its working directory. Default: the host's.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>stdio: environment variables set for it on top of the host's.</summary>
    public IDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>http: the absolute http(s) URL of the MCP endpoint. Required for http.</summary>
    public string? Url { get; set; }

    /// <summary>http: headers sent with every request, e.g. <c>Authorization</c>.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long one tool call may take before the executor gives up. Default 30 s.</summary>
    public double TimeoutSeconds { get; set; } = 30;

    /// <summary>How long connecting (start, handshake, tool listing) may take. Default 10 s.</summary>
    public double ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>Optional allow-list of the server's own tool names; empty offers every tool it lists.</summary>
    public IList<string> Tools { get; } = [];
}
