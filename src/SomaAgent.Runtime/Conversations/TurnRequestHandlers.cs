using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Runtime.Conversations;

/// <summary>Starts a queued turn on this worker (the turn itself checks it is still queued).</summary>
public sealed class TurnRequestedHandler(TurnScheduler scheduler) : IBusMessageHandler<TurnRequested>
{
    public Task HandleAsync(TurnRequested message, CancellationToken cancellationToken)
    {
        scheduler.TryStart(message.SessionId, message.Turn);
        return Task.CompletedTask;
    }
}

/// <summary>Cancels a turn this worker runs; a turn not yet running sees the stored cancel flag instead.</summary>
public sealed class TurnCancelRequestedHandler(TurnScheduler scheduler) : IBusMessageHandler<TurnCancelRequested>
{
    public Task HandleAsync(TurnCancelRequested message, CancellationToken cancellationToken)
    {
        scheduler.TryCancel(message.SessionId, message.Turn);
        return Task.CompletedTask;
    }
}
