using Microsoft.Extensions.DependencyInjection;

namespace SomaAgent.Runtime.Messaging;

/// <summary>Declares which messages this process handles, next to its other registrations.</summary>
public sealed class EventBusBuilder(IServiceCollection services, BusSubscriptions subscriptions)
{
    public IServiceCollection Services { get; } = services;

    public EventBusBuilder AddSubscription<TMessage, THandler>(string topic, string group)
        where TMessage : BusMessage
        where THandler : class, IBusMessageHandler<TMessage>
    {
        subscriptions.Add(new BusSubscription(
            topic,
            group,
            typeof(TMessage),
            typeof(THandler),
            (handler, message, cancellationToken) => ((THandler)handler).HandleAsync((TMessage)message, cancellationToken)));
        Services.AddScoped<THandler>();
        return this;
    }
}
