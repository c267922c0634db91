using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Engine.Conversations;

/// <summary>Hands a tool result to the turn that waits for it, if it waits on this worker (every worker reads every result).</summary>
public sealed class ToolCallCompletedHandler(PendingToolCalls pending) : IBusMessageHandler<ToolCallCompleted>
{
    public Task HandleAsync(ToolCallCompleted message, CancellationToken cancellationToken)
    {
        pending.Complete(message);
        return Task.CompletedTask;
    }
}
