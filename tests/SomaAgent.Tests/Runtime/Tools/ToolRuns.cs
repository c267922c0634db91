using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Engine.Tools;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Runtime.Tools;

/// <summary>Runs one tool call through the app's real <see cref="ToolExecutor"/> (policy, resilience, cache), as a worker would.</summary>
internal static class ToolRuns
{
    public static async Task<ToolRun> RunToolAsync(this GatewayApp app, Guid session, string tool, string argumentsJson, CancellationToken cancellationToken)
    {
        var executor = app.Services.GetRequiredService<ToolExecutor>();
        var completed = await executor.ExecuteAsync(new ToolCallRequested
        {
            SessionId = session,
            TenantId = "default",
            CallId = $"call_{Guid.NewGuid():N}",
            ToolName = tool,
            ArgumentsJson = argumentsJson,
        }, cancellationToken);
        using var document = JsonDocument.Parse(completed.ResultJson);
        return new ToolRun(document.RootElement.Clone(), completed.IsError);
    }
}

/// <summary>What a tool call answered: its result JSON, and whether it is an error.</summary>
internal sealed record ToolRun(JsonElement Json, bool IsError);
