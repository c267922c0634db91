using Microsoft.Extensions.AI;

namespace SomaAgent.Runtime.Tools;

/// <summary>A tool the model may call: an <see cref="AIFunction"/> plus how the executor treats it.</summary>
/// <param name="Function">Name, description, JSON schema and the code that runs.</param>
/// <param name="Source">Where the tool comes from: <c>builtin</c> today; capsules and MCP servers later.</param>
/// <param name="Timeout">How long one attempt of a call may take before the executor gives up on it.</param>
public sealed record AgentTool(AIFunction Function, string Source, TimeSpan Timeout)
{
    public string Name => Function.Name;

    /// <summary>
    /// Whether a call may run again after a transient failure (a crash, an I/O error, a timeout). Default
    /// false: a tool with side effects could act twice, so only a tool that says it is safe to repeat (MCP's
    /// <c>idempotentHint</c>, a pure function, a read) is retried. The circuit breaker covers every tool.
    /// </summary>
    public bool Retryable { get; init; }

    /// <summary>
    /// How long a successful result may be served again for the same tenant and the same arguments.
    /// Default null: never cached. Set it only for tools whose result depends on nothing but their arguments.
    /// </summary>
    public TimeSpan? ResultCacheDuration { get; init; }
}

/// <summary>Who a tool call belongs to; tools that keep state scope it by this.</summary>
public sealed record ToolInvocationContext(Guid SessionId, string TenantId, string CallId);
