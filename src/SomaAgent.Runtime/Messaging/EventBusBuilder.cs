using Microsoft.Extensions.DependencyInjection;

namespace SomaAgent.Runtime.Messaging;

/// <summary>Declares which messages this process handles, next to its other registrations.</summary>
public sealed class EventBusBuilder(IServiceCollection services, BusSubscriptions subscriptions)
{
    public IServiceCollection Services { get; } = services;

    /// <param name="topic">The topic to read.</param>
    /// <param name="group">
    /// The consumer: with <see cref="BusDelivery.Shared"/> the consumer group, whose instances share the work;
    /// with <see cref="BusDelivery.EveryInstance"/> only a name for logs and traces.
    /// </param>
    /// <param name="delivery">Whether one instance handles each message, or every instance does (see <see cref="BusDelivery"/>).</param>
    public EventBusBuilder AddSubscription<TMessage, THandler>(string topic, string group, BusDelivery delivery = BusDelivery.Shared)
        where TMessage : BusMessage
        where THandler : class, IBusMessageHandler<TMessage>
    {
        subscriptions.Add(new BusSubscription(
            topic,
            group,
            typeof(TMessage),
            typeof(THandler),
            (handler, message, cancellationToken) => ((THandler)handler).HandleAsync((TMessage)message, cancellationToken),
            delivery));
        Services.AddScoped<THandler>();
        return this;
    }
}
