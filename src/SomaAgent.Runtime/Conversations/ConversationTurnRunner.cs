using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Runtime.Conversations;

/// <summary>
/// The agent loop for one turn: stream the model, record every piece as an event, send the tool calls it
/// asks for to the tool executor over the bus, feed the results back, until the model answers without
/// tools, the step limit is reached, the client cancels or the worker stops.
/// </summary>
public sealed partial class ConversationTurnRunner(
    IDbContextFactory<SessionDbContext> dbFactory,
    SessionWriteQueue writes,
    IEventBus bus,
    ModelCatalog models,
    ToolCatalog tools,
    PendingToolCalls pendingCalls,
    IOptions<ConversationOptions> options,
    TimeProvider time,
    ILogger<ConversationTurnRunner> logger)
{
    public const string CancelledByClient = "cancelled by the client";
    public const string InterruptedByShutdown = "interrupted: the worker shut down while the turn was running";

    public async Task RunAsync(Guid sessionId, int turn, CancellationToken turnCancelled, CancellationToken stopping)
    {
        var claimed = await ClaimAsync(sessionId, turn, stopping);
        if (claimed is null)
        {
            return;
        }
        var (session, transcript) = claimed.Value;

        using var activity = RuntimeDiagnostics.ActivitySource.StartActivity($"invoke_agent {session.Model}");
        activity?.SetTag("gen_ai.operation.name", "invoke_agent");
        activity?.SetTag("gen_ai.request.model", session.Model);
        activity?.SetTag("somaagent.session.id", sessionId.ToString());
        activity?.SetTag("somaagent.turn", turn);
        var started = time.GetTimestamp();

        var writer = new TurnEventWriter(session, writes, bus, time);
        writer.StartOrdinalsAt(transcript.Count == 0 ? 0 : transcript[^1].Ordinal + 1);
        var stepText = new StringBuilder();
        try
        {
            await writer.SetStatusAsync(SessionStatus.Running);
            if (session.CancelRequested)
            {
                turnCancelled = new CancellationToken(canceled: true);
            }
            turnCancelled.ThrowIfCancellationRequested();
            await RunStepsAsync(writer, ToChatMessages(transcript), stepText, turnCancelled);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await EndWithPartialAsync(writer, stepText, SessionStatus.Failed, InterruptedByShutdown);
        }
        catch (OperationCanceledException) when (turnCancelled.IsCancellationRequested)
        {
            await EndWithPartialAsync(writer, stepText, SessionStatus.Cancelled, CancelledByClient);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogModelFailed(sessionId, turn, ex);
            writer.Add(SessionEventTypes.Error, new ErrorEventData("model_error", ex.Message), SessionJsonContext.Wire.ErrorEventData);
            await EndWithPartialAsync(writer, stepText, SessionStatus.Failed, $"The model failed: {ex.Message}");
        }

        activity?.SetTag("somaagent.turn.status", session.Status);
        RuntimeDiagnostics.TurnDuration.Record(time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("status", session.Status));
        RuntimeDiagnostics.TurnsEnded.Add(1, new KeyValuePair<string, object?>("status", session.Status));
    }

    /// <summary>Takes the queued turn for this worker; null when it is not queued any more (a redelivery).</summary>
    private async Task<(SessionRecord Session, List<MessageRecord> Transcript)?> ClaimAsync(Guid sessionId, int turn, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var claimed = await db.Sessions
            .Where(s => s.Id == sessionId && s.Turn == turn && s.Status == SessionStatus.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SessionStatus.Running), cancellationToken);
        if (claimed == 0)
        {
            return null;
        }
        var session = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == sessionId, cancellationToken);
        var transcript = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == sessionId)
            .OrderBy(m => m.Ordinal)
            .ToListAsync(cancellationToken);
        return (session, transcript);
    }

    private async Task RunStepsAsync(TurnEventWriter writer, List<ChatMessage> history, StringBuilder stepText, CancellationToken cancellationToken)
    {
        var session = writer.Session;
        var client = models.GetClient(session.Model);
        var allowed = JsonSerializer.Deserialize(session.ToolsJson, SessionJsonContext.Wire.ListString) ?? [];
        var chatOptions = new ChatOptions
        {
            ModelId = session.Model,
            Tools = [.. allowed.Select(name => tools.TryGet(name, out var tool) ? tool.Function : null).OfType<AITool>()],
        };
        var clientOptions = ClientModelOptions.Parse(session.ClientOptionsJson);
        ClientToolTurn.ApplyTo(clientOptions, chatOptions);

        for (var step = 1; step <= options.Value.MaxStepsPerTurn; step++)
        {
            stepText.Clear();
            var calls = new List<FunctionCallContent>();
            UsageDetails? usage = null;
            ChatFinishReason? finish = null;
            await foreach (var update in client.GetStreamingResponseAsync(history, chatOptions, cancellationToken))
            {
                finish = update.FinishReason ?? finish;
                foreach (var content in update.Contents)
                {
                    switch (content)
                    {
                        case TextContent { Text.Length: > 0 } text:
                            stepText.Append(text.Text);
                            writer.Output.Append(text.Text);
                            writer.Add(SessionEventTypes.MessageDelta, new DeltaEventData(text.Text), SessionJsonContext.Wire.DeltaEventData);
                            break;
                        case FunctionCallContent call:
                            calls.Add(call);
                            break;
                        case UsageContent used:
                            (usage ??= new()).Add(used.Details);
                            break;
                    }
                }
                await writer.FlushIfDueAsync();
            }
            TurnUsage.RecordUsage(writer, usage);

            if (calls.Count == 0)
            {
                CompleteAssistantMessage(writer, stepText.ToString(), null);
                await writer.SetStatusAsync(SessionStatus.Completed, finish == ChatFinishReason.Length ? TurnEndReasons.Length : null);
                return;
            }
            if (ClientToolTurn.IsClientStep(clientOptions, calls, allowed))
            {
                await ClientToolTurn.EndTurnAsync(writer, calls, stepText.ToString());
                return;
            }

            var assistant = new ChatMessage(ChatRole.Assistant, [.. stepText.Length > 0 ? [new TextContent(stepText.ToString())] : Array.Empty<AIContent>(), .. calls]);
            history.Add(assistant);
            var results = await CallToolsAsync(writer, calls, stepText.ToString(), allowed, cancellationToken);
            history.Add(new ChatMessage(ChatRole.Tool, [.. results]));
            stepText.Clear();
        }

        writer.Add(SessionEventTypes.Error,
            new ErrorEventData("step_limit", $"The model asked for tools {options.Value.MaxStepsPerTurn} times without answering."),
            SessionJsonContext.Wire.ErrorEventData);
        await writer.SetStatusAsync(SessionStatus.Failed, $"The turn reached its limit of {options.Value.MaxStepsPerTurn} model steps.");
    }

    private async Task<List<FunctionResultContent>> CallToolsAsync(
        TurnEventWriter writer, List<FunctionCallContent> calls, string text, List<string> allowed, CancellationToken cancellationToken)
    {
        var session = writer.Session;
        var requests = calls.Select(call => new ToolCallRequested
        {
            SessionId = session.Id,
            TenantId = session.TenantId,
            CallId = call.CallId,
            ToolName = call.Name,
            ArgumentsJson = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), ToolJson.Options),
        }).ToList();

        var stored = requests.Select(r => new StoredToolCall(r.CallId, r.ToolName, JsonElementOf(r.ArgumentsJson))).ToList();
        CompleteAssistantMessage(writer, text, JsonSerializer.Serialize(stored, SessionJsonContext.Wire.ListStoredToolCall));
        foreach (var call in stored)
        {
            writer.Add(SessionEventTypes.ToolCall, new ToolCallEventData(call.Id, call.Name, call.Arguments), SessionJsonContext.Wire.ToolCallEventData);
        }
        await writer.SetStatusAsync(SessionStatus.WaitingTool);

        var waits = new List<Task<ToolCallCompleted>>();
        try
        {
            foreach (var request in requests)
            {
                if (!allowed.Contains(request.ToolName))
                {
                    waits.Add(Task.FromResult(Failed(request, $"The tool '{request.ToolName}' is not available in this session.")));
                    continue;
                }
                waits.Add(pendingCalls.Register(session.Id, request.CallId));
                await bus.PublishAsync(Topics.ToolRequests, request, cancellationToken);
            }
            var timeout = TimeSpan.FromSeconds(options.Value.ToolResultTimeoutSeconds);
            await ((Task)Task.WhenAll(waits)).WaitAsync(timeout, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            foreach (var request in requests)
            {
                pendingCalls.Forget(session.Id, request.CallId);
            }
        }

        var results = new List<FunctionResultContent>();
        for (var i = 0; i < requests.Count; i++)
        {
            var result = waits[i].IsCompletedSuccessfully
                ? waits[i].Result
                : Failed(requests[i], $"No result within {options.Value.ToolResultTimeoutSeconds} s.");
            var json = JsonElementOf(result.ResultJson);
            writer.Add(SessionEventTypes.ToolResult, new ToolResultEventData(result.CallId, result.ToolName, json, result.IsError), SessionJsonContext.Wire.ToolResultEventData);
            writer.AddMessage(MessageRoles.Tool, result.ResultJson, toolCallId: result.CallId, toolName: result.ToolName);
            results.Add(new FunctionResultContent(result.CallId, json));
        }
        await writer.SetStatusAsync(SessionStatus.Running);
        return results;
    }

    internal static void CompleteAssistantMessage(TurnEventWriter writer, string text, string? toolCallsJson)
    {
        writer.AddMessage(MessageRoles.Assistant, text, toolCallsJson);
        if (text.Length > 0)
        {
            writer.Add(SessionEventTypes.MessageCompleted, new MessageEventData(MessageRoles.Assistant, text, writer.Session.Turn), SessionJsonContext.Wire.MessageEventData);
        }
    }

    private static async Task EndWithPartialAsync(TurnEventWriter writer, StringBuilder stepText, string status, string reason)
    {
        if (stepText.Length > 0)
        {
            CompleteAssistantMessage(writer, stepText.ToString(), null);
        }
        await writer.SetStatusAsync(status, reason);
    }

    private static ToolCallCompleted Failed(ToolCallRequested request, string message) => new()
    {
        SessionId = request.SessionId,
        CallId = request.CallId,
        ToolName = request.ToolName,
        ResultJson = JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message }, SessionJsonContext.Wire.DictionaryStringString),
        IsError = true,
    };

    private static JsonElement JsonElementOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(json, SessionJsonContext.Wire.String);
        }
    }

    /// <summary>Rebuilds the model's view of the transcript from stored messages.</summary>
    internal static List<ChatMessage> ToChatMessages(IEnumerable<MessageRecord> transcript)
    {
        var messages = new List<ChatMessage>();
        foreach (var record in transcript)
        {
            switch (record.Role)
            {
                case MessageRoles.Tool:
                    var result = new FunctionResultContent(record.ToolCallId ?? "", JsonElementOf(record.Content));
                    if (messages.Count > 0 && messages[^1].Role == ChatRole.Tool)
                    {
                        messages[^1].Contents.Add(result);
                    }
                    else
                    {
                        messages.Add(new ChatMessage(ChatRole.Tool, [result]));
                    }
                    break;
                case MessageRoles.Assistant when record.ToolCallsJson is not null:
                    var calls = JsonSerializer.Deserialize(record.ToolCallsJson, SessionJsonContext.Wire.ListStoredToolCall) ?? [];
                    var contents = new List<AIContent>();
                    if (record.Content.Length > 0)
                    {
                        contents.Add(new TextContent(record.Content));
                    }
                    contents.AddRange(calls.Select(c => new FunctionCallContent(c.Id, c.Name,
                        c.Arguments.ValueKind == JsonValueKind.Object
                            ? c.Arguments.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())
                            : new Dictionary<string, object?>())));
                    messages.Add(new ChatMessage(ChatRole.Assistant, contents));
                    break;
                default:
                    messages.Add(new ChatMessage(new ChatRole(record.Role), record.Content));
                    break;
            }
        }
        return messages;
    }

    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "Turn {Turn} of session {SessionId} failed in the model")]
    private partial void LogModelFailed(Guid sessionId, int turn, Exception exception);
}
