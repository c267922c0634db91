using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Engine.Conversations.Leases;
using SomaAgent.Runtime;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Engine.Conversations;

/// <summary>
/// The agent loop for one turn: stream the model, record every piece as an event, send the tool calls it
/// asks for to the tool executor over the bus, feed the results back, until the model answers without
/// tools, the step limit is reached, the client cancels or the worker stops.
/// </summary>
public sealed partial class ConversationTurnRunner(
    SessionWriteQueue writes,
    IEventBus bus,
    TurnLeaseKeeper leases,
    SessionTurns turns,
    ModelCatalog models,
    ToolCatalog tools,
    PendingToolCalls pendingCalls,
    IOptions<ConversationOptions> options,
    TimeProvider time,
    ILogger<ConversationTurnRunner> logger)
{
    public const string CancelledByClient = "cancelled by the client";
    public const string InterruptedTooOften = "interrupted";

    public async Task RunAsync(Guid sessionId, int turn, CancellationToken turnCancelled, CancellationToken stopping)
    {
        var claim = await leases.TryClaimAsync(sessionId, turn, stopping);
        if (claim is null)
        {
            return;
        }
        using var lease = claim.Lease;
        var session = claim.Session;

        using var activity = RuntimeDiagnostics.ActivitySource.StartActivity($"invoke_agent {session.Model}");
        activity?.SetTag("gen_ai.operation.name", "invoke_agent");
        activity?.SetTag("gen_ai.request.model", session.Model);
        activity?.SetTag("somaagent.session.id", sessionId.ToString());
        activity?.SetTag("somaagent.turn", turn);
        activity?.SetTag("somaagent.turn.attempt", session.TurnAttempts);
        var started = time.GetTimestamp();

        var writer = new TurnEventWriter(session, lease.Epoch, writes, bus, time);
        var stepText = new StringBuilder();
        using var cancelledOrLost = CancellationTokenSource.CreateLinkedTokenSource(turnCancelled, lease.Lost);
        RuntimeDiagnostics.SessionsActive.Add(1);
        try
        {
            if (claim.Started is { } runningEvent)
            {
                // A fresh turn's running status was stored with the claim.
                await bus.PublishAsync(Topics.SessionEvents, runningEvent, CancellationToken.None);
            }
            List<MessageRecord> transcript = [.. claim.Transcript];
            writer.StartOrdinalsAt(transcript.Count == 0 ? 0 : transcript[^1].Ordinal + 1);
            if (claim.Resumed)
            {
                if (!await ResumeAsync(writer, transcript))
                {
                    return;
                }
                await writer.SetStatusAsync(SessionStatus.Running);
            }
            if (session.CancelRequested)
            {
                await cancelledOrLost.CancelAsync();
            }
            cancelledOrLost.Token.ThrowIfCancellationRequested();
            await RunStepsAsync(writer, transcript, claim.Resumed, stepText, cancelledOrLost.Token);
        }
        catch (Exception ex) when (lease.IsLost || ex is LeaseLostException)
        {
            // Another worker runs the turn now; anything this one would write is refused anyway.
            LogLeaseLost(sessionId, turn);
            return;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await HandOverAsync(writer, lease);
            return;
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
        finally
        {
            leases.Forget(lease);
            RuntimeDiagnostics.SessionsActive.Add(-1);
        }

        activity?.SetTag("somaagent.turn.status", session.Status);
        RuntimeDiagnostics.TurnDuration.Record(time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("status", session.Status));
        RuntimeDiagnostics.TurnsEnded.Add(1, new KeyValuePair<string, object?>("status", session.Status));
        // Messages posted with strategy=enqueue waited for this turn to end. The ending write counted them; when it
        // did not land (the store failed), look.
        if (writer.QueuedInputsAtEnd is not 0)
        {
            await turns.StartQueuedAsync(sessionId, CancellationToken.None);
        }
    }

    /// <summary>
    /// Picks up a turn another worker started: its output so far is what completed messages hold (text that
    /// streamed after them is discarded, the step runs again), announced by a <c>turn.resumed</c> event.
    /// False when the turn has now been started too many times and ended failed instead.
    /// </summary>
    private async Task<bool> ResumeAsync(TurnEventWriter writer, List<MessageRecord> transcript)
    {
        var session = writer.Session;
        writer.Output.Append(string.Concat(transcript.Where(m => m.Turn == session.Turn && m.Role == MessageRoles.Assistant).Select(m => m.Content)));
        RuntimeDiagnostics.TurnsResumed.Add(1);
        if (session.TurnAttempts > options.Value.MaxTurnAttempts)
        {
            var reason = $"{InterruptedTooOften}: the turn was started {session.TurnAttempts - 1} times and its worker stopped each time";
            writer.Add(SessionEventTypes.Error, new ErrorEventData("interrupted", reason), SessionJsonContext.Wire.ErrorEventData);
            await writer.SetStatusAsync(SessionStatus.Failed, reason);
            return false;
        }
        LogResumed(session.Id, session.Turn, session.TurnAttempts);
        writer.Add(SessionEventTypes.TurnResumed, new ResumedEventData(session.Turn, session.TurnAttempts, writer.Output.ToString()), SessionJsonContext.Wire.ResumedEventData);
        return true;
    }

    /// <summary>
    /// The worker is stopping mid-turn: store what is pending, give the lease up and ask for the turn again,
    /// so another worker resumes it now (or, with no other worker, this one at its next start).
    /// </summary>
    private async Task HandOverAsync(TurnEventWriter writer, TurnLease lease)
    {
        try
        {
            await writer.FlushAsync();
            await leases.ReleaseAsync(lease, CancellationToken.None);
            using var publishTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await bus.PublishAsync(Topics.ConversationInbound, new TurnRequested { SessionId = writer.Session.Id, Turn = writer.Session.Turn }, publishTimeout.Token);
            LogHandedOver(writer.Session.Id, writer.Session.Turn);
        }
        catch (Exception ex)
        {
            // The lease expires by itself and the sweep of a live worker dispatches the turn again.
            LogHandOverFailed(writer.Session.Id, writer.Session.Turn, ex);
        }
    }

    private async Task RunStepsAsync(TurnEventWriter writer, List<MessageRecord> transcript, bool resumed, StringBuilder stepText, CancellationToken cancellationToken)
    {
        var session = writer.Session;
        var history = ToChatMessages(transcript);
        var client = models.GetClient(session.Model);
        var allowed = JsonSerializer.Deserialize(session.ToolsJson, SessionJsonContext.Wire.ListString) ?? [];
        var chatOptions = new ChatOptions
        {
            ModelId = session.Model,
            Tools = [.. allowed.Select(name => tools.TryGet(name, out var tool) ? tool.Function : null).OfType<AITool>()],
        };
        var clientOptions = ClientModelOptions.Parse(session.ClientOptionsJson);
        ClientToolTurn.ApplyTo(clientOptions, chatOptions);
        var capsule = SessionCapsule.Of(session);
        // A capsule may bound its turns more tightly than the deployment does, never more loosely.
        var maxSteps = Math.Min(options.Value.MaxStepsPerTurn, capsule?.MaxStepsPerTurn ?? int.MaxValue);
        var toolCalls = 0;

        if (resumed && UnansweredCalls(transcript, session, capsule) is { Count: > 0 } unanswered)
        {
            // Resumed while the tools of the last step ran: ask for the results again (same call ids).
            history.Add(new ChatMessage(ChatRole.Tool, [.. await AwaitToolResultsAsync(writer, unanswered, allowed, cancellationToken)]));
        }

        for (var step = 1; step <= maxSteps; step++)
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
                writer.CompleteAssistantMessage(stepText.ToString(), toolCallsJson: null);
                await writer.SetStatusAsync(SessionStatus.Completed, finish == ChatFinishReason.Length ? TurnEndReasons.Length : null);
                return;
            }
            if (ClientToolTurn.IsClientStep(clientOptions, calls, allowed))
            {
                await ClientToolTurn.EndTurnAsync(writer, calls, stepText.ToString());
                return;
            }

            toolCalls += calls.Count;
            if (capsule?.MaxToolCalls is { } maxToolCalls && toolCalls > maxToolCalls)
            {
                writer.Add(SessionEventTypes.Error,
                    new ErrorEventData("tool_call_limit", $"The model asked for {toolCalls} tool calls in this turn; the capsule {capsule.Reference} allows {maxToolCalls}."),
                    SessionJsonContext.Wire.ErrorEventData);
                await EndWithPartialAsync(writer, stepText, SessionStatus.Failed,
                    $"The turn reached the limit of {maxToolCalls} tool calls the capsule {capsule.Reference} sets.");
                return;
            }
            var assistant = new ChatMessage(ChatRole.Assistant, [.. stepText.Length > 0 ? [new TextContent(stepText.ToString())] : Array.Empty<AIContent>(), .. calls]);
            history.Add(assistant);
            var results = await CallToolsAsync(writer, calls, stepText.ToString(), allowed, capsule, cancellationToken);
            history.Add(new ChatMessage(ChatRole.Tool, [.. results]));
            stepText.Clear();
        }

        writer.Add(SessionEventTypes.Error,
            new ErrorEventData("step_limit", $"The model asked for tools {maxSteps} times without answering."),
            SessionJsonContext.Wire.ErrorEventData);
        await writer.SetStatusAsync(SessionStatus.Failed, $"The turn reached its limit of {maxSteps} model steps{(maxSteps < options.Value.MaxStepsPerTurn ? $" (the capsule {capsule!.Reference} sets it)" : "")}.");
    }

    private async Task<List<FunctionResultContent>> CallToolsAsync(
        TurnEventWriter writer, List<FunctionCallContent> calls, string text, List<string> allowed, SessionCapsule? capsule, CancellationToken cancellationToken)
    {
        var session = writer.Session;
        var requests = calls.Select(call => new ToolCallRequested
        {
            SessionId = session.Id,
            TenantId = session.TenantId,
            CallId = call.CallId,
            ToolName = call.Name,
            ArgumentsJson = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), ToolJson.Options),
            Model = session.Model,
            Capsule = capsule?.Name,
        }).ToList();

        var stored = requests.Select(r => new StoredToolCall(r.CallId, r.ToolName, JsonElementOf(r.ArgumentsJson))).ToList();
        writer.AddToolCallStep(text, stored);
        await writer.SetStatusAsync(SessionStatus.WaitingTool);
        return await AwaitToolResultsAsync(writer, requests, allowed, cancellationToken);
    }

    /// <summary>
    /// Sends the calls to the tool executor, waits for every result and records them. A call that gets no
    /// result in time, or may not run, is recorded as an error result saying why, so the model (and the user
    /// reading its answer and the events) learns the tool failed instead of getting a silent, different answer.
    /// </summary>
    private async Task<List<FunctionResultContent>> AwaitToolResultsAsync(
        TurnEventWriter writer, List<ToolCallRequested> requests, List<string> allowed, CancellationToken cancellationToken)
    {
        var session = writer.Session;
        var waits = new List<Task<ToolCallCompleted>?>();
        try
        {
            foreach (var request in requests)
            {
                if (!allowed.Contains(request.ToolName))
                {
                    waits.Add(null);
                    continue;
                }
                waits.Add(pendingCalls.Register(session.Id, request.CallId));
                await bus.PublishAsync(Topics.ToolRequests, request, cancellationToken);
            }
            var timeout = TimeSpan.FromSeconds(options.Value.ToolResultTimeoutSeconds);
            await ((Task)Task.WhenAll(waits.OfType<Task<ToolCallCompleted>>())).WaitAsync(timeout, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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
            var (result, failure) = waits[i] switch
            {
                null => (Failed(requests[i], $"The tool '{requests[i].ToolName}' is not available in this session."), "unavailable"),
                { IsCompletedSuccessfully: true } done => (done.Result, done.Result.IsError ? "error" : null),
                _ => (Failed(requests[i], $"The tool executor sent no result within {options.Value.ToolResultTimeoutSeconds} s; the call was given up."), "timeout"),
            };
            if (failure is not null)
            {
                RuntimeDiagnostics.ToolCallsFailed.Add(1, new("tool", result.ToolName), new("reason", failure));
                if (failure == "timeout")
                {
                    LogToolResultTimedOut(session.Id, result.ToolName, result.CallId, options.Value.ToolResultTimeoutSeconds);
                }
            }
            var json = JsonElementOf(result.ResultJson);
            writer.Add(SessionEventTypes.ToolResult, new ToolResultEventData(result.CallId, result.ToolName, json, result.IsError), SessionJsonContext.Wire.ToolResultEventData);
            writer.AddMessage(MessageRoles.Tool, result.ResultJson, toolCallId: result.CallId, toolName: result.ToolName);
            results.Add(new FunctionResultContent(result.CallId, json));
        }
        await writer.SetStatusAsync(SessionStatus.Running);
        return results;
    }

    /// <summary>The tool calls of the transcript's last assistant message that no tool message answers yet.</summary>
    private static List<ToolCallRequested> UnansweredCalls(List<MessageRecord> transcript, SessionRecord session, SessionCapsule? capsule)
    {
        var last = transcript.FindLastIndex(m => m.Role == MessageRoles.Assistant);
        if (last < 0 || transcript[last].ToolCallsJson is not { } callsJson || transcript.Skip(last + 1).Any(m => m.Role == MessageRoles.User))
        {
            return [];
        }
        var record = transcript[last];
        var answered = transcript.Skip(last + 1).Where(m => m.Role == MessageRoles.Tool).Select(m => m.ToolCallId).ToHashSet(StringComparer.Ordinal);
        var calls = JsonSerializer.Deserialize(callsJson, SessionJsonContext.Wire.ListStoredToolCall) ?? [];
        return [.. calls.Where(c => !answered.Contains(c.Id)).Select(c => new ToolCallRequested
        {
            SessionId = record.SessionId,
            TenantId = record.TenantId,
            CallId = c.Id,
            ToolName = c.Name,
            ArgumentsJson = c.Arguments.GetRawText(),
            Model = session.Model,
            Capsule = capsule?.Name,
        })];
    }

    private static async Task EndWithPartialAsync(TurnEventWriter writer, StringBuilder stepText, string status, string reason)
    {
        if (stepText.Length > 0)
        {
            writer.CompleteAssistantMessage(stepText.ToString(), toolCallsJson: null);
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

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Turn {Turn} of session {SessionId} was taken over by another worker; this one stops")]
    private partial void LogLeaseLost(Guid sessionId, int turn);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Information, Message = "Turn {Turn} of session {SessionId} handed over: this worker is stopping")]
    private partial void LogHandedOver(Guid sessionId, int turn);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "Turn {Turn} of session {SessionId} could not be handed over; its lease will expire")]
    private partial void LogHandOverFailed(Guid sessionId, int turn, Exception exception);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Warning, Message = "Session {SessionId}: no result for {ToolName} call {CallId} within {Seconds} s; the turn goes on with an error result")]
    private partial void LogToolResultTimedOut(Guid sessionId, string toolName, string callId, int seconds);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "Resuming turn {Turn} of session {SessionId} (start {Attempt}) after its worker stopped")]
    private partial void LogResumed(Guid sessionId, int turn, int attempt);
}
