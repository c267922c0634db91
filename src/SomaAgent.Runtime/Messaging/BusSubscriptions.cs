namespace SomaAgent.Runtime.Messaging;

/// <summary>One handler of one message type, on one topic, for one consumer.</summary>
public sealed record BusSubscription(
    string Topic,
    string Group,
    Type MessageType,
    Type HandlerType,
    Func<object, BusMessage, CancellationToken, Task> Invoke,
    BusDelivery Delivery = BusDelivery.Shared);

/// <summary>
/// One consumer of this process: a name (the consumer group of a shared consumer), how it shares messages with
/// the other instances, the topics it reads and the subscriptions its messages are dispatched to.
/// </summary>
public sealed record BusConsumer(string Group, BusDelivery Delivery, IReadOnlyList<string> Topics, IReadOnlyList<BusSubscription> Subscriptions);

/// <summary>Every subscription this process declared (see <see cref="EventBusBuilder"/>).</summary>
public sealed class BusSubscriptions
{
    private readonly List<BusSubscription> _subscriptions = [];

    public IReadOnlyList<BusSubscription> All => _subscriptions;

    internal void Add(BusSubscription subscription) => _subscriptions.Add(subscription);

    /// <summary>The consumers this process runs: one per group name and delivery, reading all of its topics.</summary>
    public IEnumerable<BusConsumer> Consumers =>
        _subscriptions
            .GroupBy(s => (s.Group, s.Delivery))
            .Select(g => new BusConsumer(g.Key.Group, g.Key.Delivery, [.. g.Select(s => s.Topic).Distinct()], [.. g]));
}
