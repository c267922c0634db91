namespace SomaAgent.Engine.Tools.Mcp;

/// <summary>
/// An MCP tool answered with an error result, or its server rejected the call. The message is the server's,
/// written for the model; it derives from <see cref="InvalidOperationException"/> because the executor
/// returns such expected failures to the model as error results (not retried: the call itself was refused).
/// </summary>
public sealed class McpToolErrorException : InvalidOperationException
{
    public McpToolErrorException()
    {
    }

    public McpToolErrorException(string message) : base(message)
    {
    }

    public McpToolErrorException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// The tool's MCP server is not connected right now (never reached, or the connection dropped and is being
/// re-established). A transient failure: the same call may succeed once the server is back. It derives from
/// <see cref="InvalidOperationException"/> so the executor hands its message to the model.
/// </summary>
public sealed class McpServerUnavailableException : InvalidOperationException
{
    public McpServerUnavailableException()
    {
    }

    public McpServerUnavailableException(string message) : base(message)
    {
    }

    public McpServerUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
