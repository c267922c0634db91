namespace SomaAgent.Runtime.Messaging;

/// <summary>
/// What a bus does after it parked a message it could not handle in <see cref="Topics.DeadLetter"/>: tells
/// whoever the message was about. The engine fails the session's turn, so its client sees why.
/// </summary>
public interface IDeadLetterHandler
{
    /// <param name="bus">The bus that parked the message, to announce what the handler did.</param>
    /// <param name="topic">The topic the message came from.</param>
    /// <param name="key">The message key: the session id, when there is one.</param>
    /// <param name="reason">Why the message could not be handled.</param>
    /// <param name="cancellationToken">Stops the handling.</param>
    Task HandleAsync(IEventBus bus, string topic, string? key, string reason, CancellationToken cancellationToken);
}
