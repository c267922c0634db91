namespace SomaAgent.Runtime.Messaging;

/// <summary>Publishes messages to a topic, keyed by session so one session's messages stay in order.</summary>
public interface IEventBus
{
    Task PublishAsync(string topic, BusMessage message, CancellationToken cancellationToken);
}

/// <summary>Handles one kind of message from a subscription; each call runs in its own DI scope.</summary>
public interface IBusMessageHandler<in TMessage> where TMessage : BusMessage
{
    Task HandleAsync(TMessage message, CancellationToken cancellationToken);
}
