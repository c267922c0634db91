using System.Text;
using System.Text.Json;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Gateway.ChatCompletions;

/// <summary>
/// Follows the events of the session turn that runs a chat completion and builds OpenAI's view of it: the text,
/// the client tool calls, the finish reason and the usage. Streaming sends the delta of each event as it comes.
/// </summary>
public sealed class ChatCompletionTurn(SessionRecord session, long promptCharacters)
{
    private readonly StringBuilder _content = new();
    private readonly List<ChatToolCall> _toolCalls = [];
    private ChatCompletionUsage? _reported;
    private string? _error;

    public string Id { get; } = $"chatcmpl-{session.Id}";

    public long Created { get; } = new DateTimeOffset(session.CreatedAt, TimeSpan.Zero).ToUnixTimeSeconds();

    public string Model => session.Model;

    /// <summary>The status that ended the turn (completed, failed or cancelled); null until then.</summary>
    public string? EndStatus { get; private set; }

    public string? EndReason { get; private set; }

    public string FinishReason => EndReason switch
    {
        TurnEndReasons.ToolCalls => "tool_calls",
        TurnEndReasons.Length => "length",
        _ => "stop",
    };

    /// <summary>
    /// What the model reported over the turn's calls; when it reported nothing, the documented approximation of one
    /// token per 4 characters of the prompt and of the output.
    /// </summary>
    public ChatCompletionUsage Usage
    {
        get
        {
            if (_reported is not null)
            {
                return _reported;
            }
            var prompt = SimulatedChatClient.ApproximateTokens(promptCharacters);
            var completion = SimulatedChatClient.ApproximateTokens(_content.Length + _toolCalls.Sum(c => c.Function!.Name!.Length + c.Function.Arguments!.Length));
            return new ChatCompletionUsage(prompt, completion, prompt + completion);
        }
    }

    /// <summary>Takes in one event of the turn; returns what a stream sends for it, or null.</summary>
    public ChatCompletionDelta? Apply(SessionEventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        switch (envelope.Type)
        {
            case SessionEventTypes.MessageDelta:
                var delta = JsonSerializer.Deserialize(envelope.DataJson, SessionJsonContext.Wire.DeltaEventData)!;
                _content.Append(delta.Content);
                return new ChatCompletionDelta(null, delta.Content, null);
            case SessionEventTypes.ToolCall:
                var call = JsonSerializer.Deserialize(envelope.DataJson, SessionJsonContext.Wire.ToolCallEventData)!;
                var function = new ChatFunctionCall(call.Name, call.Arguments.GetRawText());
                _toolCalls.Add(new ChatToolCall(call.CallId, "function", function));
                return new ChatCompletionDelta(null, null, [new ChatToolCallDelta(_toolCalls.Count - 1, call.CallId, "function", function)]);
            case SessionEventTypes.Usage:
                var usage = JsonSerializer.Deserialize(envelope.DataJson, SessionJsonContext.Wire.UsageEventData)!;
                _reported = _reported is null
                    ? new ChatCompletionUsage(usage.InputTokens, usage.OutputTokens, usage.TotalTokens)
                    : new ChatCompletionUsage(_reported.PromptTokens + usage.InputTokens, _reported.CompletionTokens + usage.OutputTokens, _reported.TotalTokens + usage.TotalTokens);
                return null;
            case SessionEventTypes.Error:
                _error = JsonSerializer.Deserialize(envelope.DataJson, SessionJsonContext.Wire.ErrorEventData)?.Message;
                return null;
            case SessionEventTypes.Status when envelope.EndsTurn:
                var status = JsonSerializer.Deserialize(envelope.DataJson, SessionJsonContext.Wire.StatusEventData)!;
                EndStatus = status.Status;
                EndReason = status.Reason;
                return null;
            default:
                return null;
        }
    }

    public ChatCompletion ToCompletion() => new(Id, "chat.completion", Created, Model,
        [new ChatCompletionChoice(0, new ChatCompletionMessage("assistant", _toolCalls.Count > 0 && _content.Length == 0 ? null : _content.ToString(), _toolCalls.Count > 0 ? _toolCalls : null), FinishReason)],
        Usage);

    public ChatCompletionChunk Chunk(ChatCompletionDelta delta, string? finishReason = null) =>
        new(Id, "chat.completion.chunk", Created, Model, [new ChatCompletionChunkChoice(0, delta, finishReason)], null);

    public ChatCompletionChunk UsageChunk() => new(Id, "chat.completion.chunk", Created, Model, [], Usage);

    /// <summary>The error to answer when the turn did not complete; null when it did.</summary>
    public OpenAIErrorResult? Failure() => EndStatus switch
    {
        SessionStatus.Completed => null,
        SessionStatus.Cancelled => new OpenAIErrorResult(StatusCodes.Status409Conflict, new OpenAIError(
            $"The completion's session {session.Id} was cancelled before it finished ({EndReason}).", OpenAIErrors.InvalidRequest, null, "turn_cancelled")),
        _ => new OpenAIErrorResult(StatusCodes.Status500InternalServerError, new OpenAIError(
            $"The completion failed: {EndReason ?? _error ?? "the turn ended without an answer"}. Session {session.Id} keeps its events.",
            OpenAIErrors.ServerError, null, "turn_failed")),
    };
}
