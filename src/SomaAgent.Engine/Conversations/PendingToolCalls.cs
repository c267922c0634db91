using System.Collections.Concurrent;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Engine.Conversations;

/// <summary>Tool calls a running turn waits for, completed when their results arrive on <c>tool.results</c>.</summary>
public sealed class PendingToolCalls
{
    private readonly ConcurrentDictionary<(Guid SessionId, string CallId), TaskCompletionSource<ToolCallCompleted>> _pending = new();

    public Task<ToolCallCompleted> Register(Guid sessionId, string callId) =>
        _pending.GetOrAdd((sessionId, callId), _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Completes the waiting call; a result nobody waits for (a duplicate, or after a restart) is dropped.</summary>
    public bool Complete(ToolCallCompleted result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return _pending.TryRemove((result.SessionId, result.CallId), out var waiter) && waiter.TrySetResult(result);
    }

    public void Forget(Guid sessionId, string callId) => _pending.TryRemove((sessionId, callId), out _);
}
