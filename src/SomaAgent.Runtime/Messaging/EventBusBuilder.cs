using Microsoft.Extensions.DependencyInjection;

namespace SomaAgent.Runtime.Messaging;

/// <summary>Declares which messages this process handles, next to its other registrations.</summary>
public sealed class EventBusBuilder(IServiceCollection services, BusSubscriptions subscriptions)
{
    public IServiceCollection Services { get; } = services;

    /// <param name="topic">The topic to read.</param>
    /// <param name="group">The consumer group; every process with the same group shares the work.</param>
    /// <param name="onlyNew">A new group starts at the end of the topic instead of its beginning (live feeds).</param>
    public EventBusBuilder AddSubscription<TMessage, THandler>(string topic, string group, bool onlyNew = false)
        where TMessage : BusMessage
        where THandler : class, IBusMessageHandler<TMessage>
    {
        subscriptions.Add(new BusSubscription(
            topic,
            group,
            typeof(TMessage),
            typeof(THandler),
            (handler, message, cancellationToken) => ((THandler)handler).HandleAsync((TMessage)message, cancellationToken),
            onlyNew));
        Services.AddScoped<THandler>();
        return this;
    }
}
