using System.Text.Json;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Engine.Conversations;

/// <summary>
/// Writes a running turn's events, transcript messages and session state. Events are batched: a flush
/// stores everything pending in one transaction, then announces it on <c>session.events</c>. A flush happens at
/// the boundaries that matter (a status change: running, waiting for tools, ended), and for streamed text when
/// its oldest pending piece has waited <see cref="LiveInterval"/>: a fast model's whole answer is one write, a
/// slow one's text reaches its readers at least that often. Measuring from the oldest pending piece, not from
/// the last flush, matters under load: a flush that waited for the store no longer makes the next piece flush
/// alone, which split a turn into many writes (docs/benchmarks.md). Flushes of many turns share
/// one commit (<see cref="SessionWriteQueue"/>), fenced by the lease epoch the turn was claimed at. Nothing is announced before
/// it is stored, so a stream resumed from the store never misses what it saw live.
/// </summary>
internal sealed class TurnEventWriter(
    SessionRecord session,
    long leaseEpoch,
    SessionWriteQueue writes,
    IEventBus bus,
    TimeProvider time)
{
    public static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(50);
    private const int MaxPendingEvents = 64;

    private readonly SessionEventBuilder _events = new(session);
    private readonly List<MessageRecord> _messages = [];
    private long? _pendingSince;
    private int _nextOrdinal;

    public SessionRecord Session => session;

    /// <summary>Assistant text of the turn so far; stored as the session's output at every flush.</summary>
    public System.Text.StringBuilder Output { get; } = new();

    public DateTime Now => time.GetUtcNow().UtcDateTime;

    /// <summary>How many posted messages waited when the write that ended the turn was stored; null until it is.</summary>
    public int? QueuedInputsAtEnd { get; private set; }

    public void StartOrdinalsAt(int nextOrdinal) => _nextOrdinal = nextOrdinal;

    public void Add<T>(string type, T data, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        _events.Add(type, data, typeInfo, Now);
        _pendingSince ??= time.GetTimestamp();
    }

    public void AddMessage(string role, string content, string? toolCallsJson = null, string? toolCallId = null, string? toolName = null) =>
        _messages.Add(new MessageRecord
        {
            SessionId = session.Id,
            Ordinal = _nextOrdinal++,
            TenantId = session.TenantId,
            CreatedBy = session.CreatedBy,
            Turn = session.Turn,
            Role = role,
            Content = content,
            ToolCallsJson = toolCallsJson,
            ToolCallId = toolCallId,
            ToolName = toolName,
            CreatedAt = Now,
        });

    /// <summary>The assistant's message of a model step: in the transcript, and as <c>message.completed</c> when it has text.</summary>
    public void CompleteAssistantMessage(string text, string? toolCallsJson)
    {
        AddMessage(MessageRoles.Assistant, text, toolCallsJson);
        if (text.Length > 0)
        {
            Add(SessionEventTypes.MessageCompleted, new MessageEventData(MessageRoles.Assistant, text, session.Turn), SessionJsonContext.Wire.MessageEventData);
        }
    }

    /// <summary>A model step that calls tools: the assistant's message carrying the calls, and a <c>tool.call</c> event per call.</summary>
    public void AddToolCallStep(string text, List<StoredToolCall> calls)
    {
        CompleteAssistantMessage(text, JsonSerializer.Serialize(calls, SessionJsonContext.Wire.ListStoredToolCall));
        foreach (var call in calls)
        {
            Add(SessionEventTypes.ToolCall, new ToolCallEventData(call.Id, call.Name, call.Arguments), SessionJsonContext.Wire.ToolCallEventData);
        }
    }

    /// <summary>Records a status change of the turn and stores it with everything pending.</summary>
    public Task SetStatusAsync(string status, string? reason = null)
    {
        session.Status = status;
        session.StatusReason = reason;
        _events.Status(status, Now, reason);
        _pendingSince ??= time.GetTimestamp();
        return FlushAsync();
    }

    public Task FlushIfDueAsync() =>
        _events.Pending.Count >= MaxPendingEvents || (_pendingSince is { } since && time.GetElapsedTime(since) >= LiveInterval)
            ? FlushAsync()
            : Task.CompletedTask;

    public async Task FlushAsync()
    {
        _pendingSince = null;
        if (_events.Pending.Count == 0 && _messages.Count == 0)
        {
            return;
        }
        var (records, announcement) = _events.Drain();
        var messages = _messages.ToList();
        _messages.Clear();
        session.LastSequence = _events.LastSequence;
        session.Output = Output.ToString();
        session.UpdatedAt = Now;

        // Stored through the group-commit writer; the write lands even when the turn is being cancelled,
        // because the cancelled status is part of it.
        var write = new SessionWrite(
            session.Id, leaseEpoch, records, messages, session.LastSequence, session.Status, session.StatusReason, session.Output, session.UpdatedAt);
        await writes.WriteAsync(write);
        if (SessionStatus.IsEnded(write.Status))
        {
            QueuedInputsAtEnd = write.QueuedInputs;
        }
        if (records.Count > 0)
        {
            await bus.PublishAsync(Topics.SessionEvents, announcement, CancellationToken.None);
        }
    }
}
