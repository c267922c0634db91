using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Protocol;

namespace SomaAgent.Engine.Tools.Mcp;

/// <summary>
/// A tool of an MCP server as the rest of SomaAgent sees it: the model-facing (prefixed) name, the server's
/// description and input schema, and a call that goes to whichever client the server's connection holds now,
/// so a reconnect does not invalidate the tool.
/// </summary>
internal sealed class McpToolFunction(McpServerConnection server, Tool tool, string name) : AIFunction
{
    /// <summary>The tool's name on its server (what is sent in <c>tools/call</c>).</summary>
    public string ServerToolName => tool.Name;

    public override string Name => name;

    public override string Description => tool.Description ?? tool.Title ?? tool.Annotations?.Title ?? $"The '{tool.Name}' tool of the MCP server '{server.Name}'.";

    public override JsonElement JsonSchema => tool.InputSchema;

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        // Only the JSON arguments travel; Services and Context stay in this process.
        var values = arguments.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        return await server.CallToolAsync(tool.Name, values, cancellationToken);
    }
}
