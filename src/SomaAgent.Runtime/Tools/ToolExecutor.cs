using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Runtime.Tools;

/// <summary>
/// Runs one tool call: finds the tool, binds its JSON arguments, enforces its timeout and turns every
/// failure into an error result the model can read, so a bad tool never ends the turn by itself.
/// </summary>
public sealed partial class ToolExecutor(ToolCatalog catalog, IServiceProvider services, ILogger<ToolExecutor> logger)
{

    public async Task<ToolCallCompleted> ExecuteAsync(ToolCallRequested request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = RuntimeDiagnostics.ActivitySource.StartActivity($"execute_tool {request.ToolName}");
        activity?.SetTag("gen_ai.operation.name", "execute_tool");
        activity?.SetTag("gen_ai.tool.name", request.ToolName);
        activity?.SetTag("gen_ai.tool.call.id", request.CallId);
        activity?.SetTag("somaagent.session.id", request.SessionId.ToString());

        var started = Stopwatch.GetTimestamp();
        var (resultJson, isError) = await RunAsync(request, cancellationToken);
        RuntimeDiagnostics.ToolDuration.Record(
            Stopwatch.GetElapsedTime(started).TotalSeconds,
            new("tool", request.ToolName),
            new("outcome", isError ? "error" : "ok"));
        if (isError)
        {
            activity?.SetStatus(ActivityStatusCode.Error);
        }

        return new ToolCallCompleted
        {
            SessionId = request.SessionId,
            CallId = request.CallId,
            ToolName = request.ToolName,
            ResultJson = resultJson,
            IsError = isError,
        };
    }

    private async Task<(string ResultJson, bool IsError)> RunAsync(ToolCallRequested request, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(request.ToolName, out var tool))
        {
            return (ErrorJson($"Unknown tool '{request.ToolName}'."), true);
        }

        AIFunctionArguments arguments;
        try
        {
            arguments = new AIFunctionArguments(ParseArguments(request.ArgumentsJson))
            {
                Services = services,
                Context = new Dictionary<object, object?>
                {
                    [typeof(ToolInvocationContext)] = new ToolInvocationContext(request.SessionId, request.TenantId, request.CallId),
                },
            };
        }
        catch (JsonException ex)
        {
            return (ErrorJson($"The arguments are not a JSON object: {ex.Message}"), true);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(tool.Timeout);
        try
        {
            var result = await tool.Function.InvokeAsync(arguments, timeout.Token);
            return (JsonSerializer.Serialize(result, ToolJson.Options), false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (ErrorJson($"The tool did not answer within {tool.Timeout.TotalSeconds:0.###} s."), true);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or ArithmeticException or InvalidOperationException or JsonException)
        {
            // Expected, user-facing failures: the message is written for the model.
            return (ErrorJson(ex.Message), true);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogToolCrashed(request.ToolName, request.CallId, ex);
            return (ErrorJson($"The tool '{request.ToolName}' failed unexpectedly."), true);
        }
    }

    private static Dictionary<string, object?> ParseArguments(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("expected an object.");
        }
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
    }

    private static string ErrorJson(string message) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }, ToolJson.Options);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Error, Message = "Tool {ToolName} crashed on call {CallId}")]
    private partial void LogToolCrashed(string toolName, string callId, Exception exception);
}
