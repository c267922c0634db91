using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SomaAgent.Engine.Tools.Caching;
using SomaAgent.Engine.Tools.Resilience;
using SomaAgent.Runtime;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Engine.Tools;

/// <summary>
/// Runs one tool call: finds the tool, binds its JSON arguments, serves a cached result when the tool allows
/// it, else runs it through the tool's resilience pipeline (budget, retries, circuit breaker, timeout), and
/// turns every failure into an error result the model can read, so a bad tool never ends the turn by itself.
/// The policy is asked first: a refused call gets an error result too and never runs (nor reads the cache).
/// </summary>
public sealed partial class ToolExecutor(
    ToolCatalog catalog,
    ToolResiliencePipelines pipelines,
    ToolResultCache cache,
    ToolPolicy policy,
    IServiceProvider services,
    ILogger<ToolExecutor> logger)
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
        var (resultJson, isError) = await RunAsync(request, activity, cancellationToken);
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

    private async Task<ToolOutcome> RunAsync(ToolCallRequested request, Activity? activity, CancellationToken cancellationToken)
    {
        if (!catalog.TryGet(request.ToolName, out var tool))
        {
            return Error($"Unknown tool '{request.ToolName}'.");
        }
        if (await policy.RefusalAsync(request, cancellationToken) is { } refusal)
        {
            activity?.SetTag("somaagent.policy.decision", "deny");
            return Error(refusal);
        }

        var invocation = new ToolInvocationContext(request.SessionId, request.TenantId, request.CallId);
        AIFunctionArguments arguments;
        try
        {
            arguments = new AIFunctionArguments(ParseArguments(request.ArgumentsJson))
            {
                Services = services,
                Context = new Dictionary<object, object?> { [typeof(ToolInvocationContext)] = invocation },
            };
        }
        catch (JsonException ex)
        {
            return Error($"The arguments are not a JSON object: {ex.Message}");
        }

        var call = new ToolCall(tool, invocation, arguments);
        ToolOutcome outcome;
        if (cache.Covers(tool))
        {
            (outcome, var hit) = await cache.GetOrRunAsync(call, InvokeAsync, cancellationToken);
            RuntimeDiagnostics.ToolCacheLookups.Add(1, new("tool", tool.Name), new("result", hit ? "hit" : "miss"));
            activity?.SetTag("somaagent.tool.cache", hit ? "hit" : "miss");
        }
        else
        {
            outcome = await InvokeAsync(call, cancellationToken);
        }
        activity?.SetTag("somaagent.tool.attempts", call.Attempts);
        return outcome;
    }

    private async ValueTask<ToolOutcome> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var tool = call.Tool;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var result = await pipelines.For(tool).ExecuteAsync(
                static async (context, call) =>
                {
                    call.Attempts++;
                    return await call.Tool.Function.InvokeAsync(call.Arguments, context.CancellationToken);
                },
                context,
                call);
            return new ToolOutcome(JsonSerializer.Serialize(result, ToolJson.Options), IsError: false);
        }
        catch (TimeoutRejectedException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return Error($"The tool did not answer within {Seconds(ex.Timeout)} s{AttemptsNote(call)}.");
        }
        catch (BrokenCircuitException ex)
        {
            var retry = ex.RetryAfter is { } after ? $" for about {Math.Ceiling(after.TotalSeconds)} s more" : "";
            return Error($"The tool '{tool.Name}' is unavailable after repeated failures; it is not called{retry}.");
        }
        catch (Exception ex) when (ToolFailures.IsBadCall(ex))
        {
            // Expected, user-facing failures: the message is written for the model.
            return Error(ex.Message);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogToolCrashed(tool.Name, call.Invocation.CallId, call.Attempts, ex);
            return Error($"The tool '{tool.Name}' failed unexpectedly{AttemptsNote(call)}.");
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static string AttemptsNote(ToolCall call) => call.Attempts > 1 ? $" ({call.Attempts} attempts)" : "";

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

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
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!arguments.TryAdd(property.Name, property.Value.Clone()))
            {
                throw new JsonException($"the property '{property.Name}' appears twice.");
            }
        }
        return arguments;
    }

    private static ToolOutcome Error(string message) =>
        new(JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }, ToolJson.Options), IsError: true);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Error, Message = "Tool {ToolName} crashed on call {CallId} after {Attempts} attempt(s)")]
    private partial void LogToolCrashed(string toolName, string callId, int attempts, Exception exception);
}
