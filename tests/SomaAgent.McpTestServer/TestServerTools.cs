using System.ComponentModel;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace SomaAgent.McpTestServer;

/// <summary>The test server's tools: each one shows one way an MCP result can come back.</summary>
[McpServerToolType]
public sealed class TestServerTools
{
    [McpServerTool(Name = "echo"), Description("Returns the text it is given.")]
    public static string Echo([Description("The text to return.")] string text) => text;

    [McpServerTool(Name = "add"), Description("Adds two integers.")]
    public static long Add([Description("The first addend.")] long a, [Description("The second addend.")] long b) => a + b;

    [McpServerTool(Name = "describe"), Description("Returns a JSON object describing the text.")]
    public static TextDescription Describe([Description("The text to describe.")] string text) =>
        new(text, text.Length, text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);

    [McpServerTool(Name = "fail"), Description("Always answers with an error result carrying the given reason.")]
    public static CallToolResult Fail([Description("What the error says.")] string reason) =>
        new() { IsError = true, Content = [new TextContentBlock { Text = reason }] };

    [McpServerTool(Name = "sleep"), Description("Waits the given number of milliseconds, then says so.")]
    public static async Task<string> SleepAsync([Description("How long to wait.")] int milliseconds, CancellationToken cancellationToken)
    {
        await Task.Delay(milliseconds, cancellationToken);
        return $"slept {milliseconds} ms";
    }

    [McpServerTool(Name = "process_id"), Description("Returns the id of the server's process.")]
    public static int ProcessId() => Environment.ProcessId;
}

/// <summary>The result of <c>describe</c>.</summary>
public sealed record TextDescription(string Text, int Characters, int Words);
