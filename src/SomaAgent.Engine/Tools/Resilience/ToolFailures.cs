using System.Text.Json;
using Polly;
using Polly.Timeout;

namespace SomaAgent.Engine.Tools.Resilience;

/// <summary>Which failures of a tool call are the model's mistake and which are worth another attempt.</summary>
public static class ToolFailures
{
    /// <summary>
    /// A bad call: wrong arguments, a division by zero, an unknown key. The message is written for the model,
    /// repeating the call cannot help, and it says nothing about the tool's health.
    /// </summary>
    public static bool IsBadCall(Exception exception) =>
        // An MCP server that is not reachable is the tool's failure, not the call's, though it is an InvalidOperationException.
        exception is not Mcp.McpServerUnavailableException
        && exception is ArgumentException or FormatException or ArithmeticException or InvalidOperationException or JsonException;

    /// <summary>
    /// A failure that another attempt may not meet (a crash, an I/O error, an attempt that timed out), and that
    /// counts against the tool's circuit. <paramref name="cancellationToken"/> is the token the attempt ran
    /// under: a cancellation the caller (or the call's total budget) asked for is never retried.
    /// </summary>
    public static bool IsTransient(Exception? exception, CancellationToken cancellationToken) => exception switch
    {
        null => false,
        TimeoutRejectedException => true,
        // An open circuit rejects at once; retrying would only be rejected again.
        ExecutionRejectedException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => !IsBadCall(exception),
    };
}
