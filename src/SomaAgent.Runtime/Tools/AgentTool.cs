using Microsoft.Extensions.AI;

namespace SomaAgent.Runtime.Tools;

/// <summary>A tool the model may call: an <see cref="AIFunction"/> plus how the executor treats it.</summary>
/// <param name="Function">Name, description, JSON schema and the code that runs.</param>
/// <param name="Source">Where the tool comes from: <c>builtin</c> today; capsules and MCP servers later.</param>
/// <param name="Timeout">How long one call may take before the executor gives up.</param>
public sealed record AgentTool(AIFunction Function, string Source, TimeSpan Timeout)
{
    public string Name => Function.Name;
}

/// <summary>Who a tool call belongs to; tools that keep state scope it by this.</summary>
public sealed record ToolInvocationContext(Guid SessionId, string TenantId, string CallId);
