using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SomaAgent.Runtime.Messaging;

/// <summary>Chooses this process's bus and declares which messages it handles, next to its other registrations.</summary>
public sealed class EventBusBuilder(IServiceCollection services, BusSubscriptions subscriptions)
{
    public IServiceCollection Services { get; } = services;

    /// <summary>The bus this process publishes to and reads from: one per process, started as a hosted service.</summary>
    public EventBusBuilder UseBus<TBus>(Func<IServiceProvider, TBus> create) where TBus : class, IEventBus, IHostedService
    {
        ArgumentNullException.ThrowIfNull(create);
        if (Services.Any(d => d.ServiceType == typeof(IEventBus)))
        {
            throw new InvalidOperationException($"This process has a bus already; {typeof(TBus).Name} cannot be a second one.");
        }
        Services.AddSingleton(create);
        Services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<TBus>());
        Services.AddHostedService(sp => sp.GetRequiredService<TBus>());
        return this;
    }

    /// <summary>The embedded bus: messages stay in this process (see <see cref="InMemoryEventBus"/>).</summary>
    public EventBusBuilder UseInMemoryBus() => UseBus(sp => ActivatorUtilities.CreateInstance<InMemoryEventBus>(sp));

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
