using Microsoft.Extensions.AI;

namespace SomaAgent.Runtime.Tools;

/// <summary>One call on its way through the result cache and the tool's resilience pipeline.</summary>
/// <param name="Tool">The tool that runs.</param>
/// <param name="Invocation">Whose call it is; cached results are never shared across tenants.</param>
/// <param name="Arguments">The parsed arguments (JSON values), with the services and invocation context.</param>
public sealed record ToolCall(AgentTool Tool, ToolInvocationContext Invocation, AIFunctionArguments Arguments)
{
    /// <summary>How many times the tool has been invoked for this call so far.</summary>
    public int Attempts { get; set; }
}

/// <summary>What a call produced: the result JSON for the model, or an error JSON and <see cref="IsError"/>.</summary>
public readonly record struct ToolOutcome(string ResultJson, bool IsError);
