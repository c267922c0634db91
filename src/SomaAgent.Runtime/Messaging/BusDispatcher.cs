using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace SomaAgent.Runtime.Messaging;

/// <summary>
/// Delivers a received message to the handlers subscribed to it, each in its own async DI scope, under a
/// <c>&lt;topic&gt; receive</c> span that continues the publisher's trace.
/// </summary>
public sealed class BusDispatcher(IServiceScopeFactory scopeFactory, BusSubscriptions subscriptions)
{
    public async Task DispatchAsync(string topic, string group, BusMessage message, ActivityContext parent, string system, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var activity = RuntimeDiagnostics.ActivitySource.StartActivity($"{topic} receive", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", system);
        activity?.SetTag("messaging.destination.name", topic);
        activity?.SetTag("messaging.consumer.group.name", group);
        activity?.SetTag("messaging.message.id", message.MessageId.ToString());
        activity?.SetTag("somaagent.session.id", message.SessionId.ToString());

        foreach (var subscription in subscriptions.All)
        {
            if (subscription.Topic != topic || subscription.Group != group || !subscription.MessageType.IsInstanceOfType(message))
            {
                continue;
            }

            await using var scope = scopeFactory.CreateAsyncScope();
            var handler = scope.ServiceProvider.GetRequiredService(subscription.HandlerType);
            await subscription.Invoke(handler, message, cancellationToken);
        }
    }
}
