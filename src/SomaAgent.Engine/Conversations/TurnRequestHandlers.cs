using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Engine.Conversations;

/// <summary>Starts a queued turn on this worker (the turn itself checks it is still queued).</summary>
public sealed class TurnRequestedHandler(TurnScheduler scheduler) : IBusMessageHandler<TurnRequested>
{
    public Task HandleAsync(TurnRequested message, CancellationToken cancellationToken)
    {
        if (!scheduler.TryStart(message.SessionId, message.Turn) && scheduler.IsStopping)
        {
            // Refused because this worker is stopping. When the bus is stopping too (Kafka: the host is), the
            // request is declined instead of taken: its offset is not committed, so the partition's next owner
            // runs the turn now rather than a sweep 10-15 s later.
            cancellationToken.ThrowIfCancellationRequested();
        }
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
