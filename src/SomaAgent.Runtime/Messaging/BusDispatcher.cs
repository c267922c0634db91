using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace SomaAgent.Runtime.Messaging;

/// <summary>
/// Delivers a received message to the consumer's handlers subscribed to it, each in its own async DI scope,
/// under a <c>&lt;topic&gt; receive</c> span that continues the publisher's trace.
/// </summary>
public sealed class BusDispatcher(IServiceScopeFactory scopeFactory)
{
    /// <summary>How often a bus hands a message to its handler before it parks the message as poison.</summary>
    public const int HandlerAttempts = 3;

    /// <summary>
    /// Hands <paramref name="message"/> to its handlers up to <see cref="HandlerAttempts"/> times, waiting 100 ms ×
    /// the attempt in between (<paramref name="onRetry"/> hears of each failed attempt that is retried). Returns null
    /// once handled, or the last failure: the bus then parks the message.
    /// </summary>
    public async Task<Exception?> DispatchWithRetriesAsync(
        BusConsumer consumer, string topic, BusMessage message, ActivityContext parent, string system, Action<int, Exception> onRetry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onRetry);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await DispatchAsync(consumer, topic, message, parent, system, cancellationToken);
                return null;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && attempt < HandlerAttempts)
            {
                onRetry(attempt, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                return ex;
            }
        }
    }

    public async Task DispatchAsync(BusConsumer consumer, string topic, BusMessage message, ActivityContext parent, string system, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(message);
        if (!consumer.Subscriptions.Any(s => s.Topic == topic && s.MessageType.IsInstanceOfType(message)))
        {
            // Another kind of message on a shared topic (a shared consumer of conversation.inbound sees cancels
            // that every instance reads on its own): nothing here to trace or handle.
            return;
        }
        using var activity = RuntimeDiagnostics.ActivitySource.StartActivity($"{topic} receive", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", system);
        activity?.SetTag("messaging.destination.name", topic);
        if (consumer.Delivery == BusDelivery.Shared)
        {
            activity?.SetTag("messaging.consumer.group.name", consumer.Group);
        }
        activity?.SetTag("messaging.message.id", message.MessageId.ToString());
        activity?.SetTag("somaagent.session.id", message.SessionId.ToString());

        foreach (var subscription in consumer.Subscriptions)
        {
            if (subscription.Topic != topic || !subscription.MessageType.IsInstanceOfType(message))
            {
                continue;
            }

            await using var scope = scopeFactory.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetRequiredService(subscription.HandlerType);
            await subscription.Invoke(handler, message, cancellationToken);
        }
    }
}
