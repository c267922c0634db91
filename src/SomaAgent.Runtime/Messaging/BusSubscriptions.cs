namespace SomaAgent.Runtime.Messaging;

/// <summary>One handler of one message type, on one topic, for one consumer group.</summary>
public sealed record BusSubscription(
    string Topic,
    string Group,
    Type MessageType,
    Type HandlerType,
    Func<object, BusMessage, CancellationToken, Task> Invoke);

/// <summary>Every subscription this process declared (see <see cref="EventBusBuilder"/>).</summary>
public sealed class BusSubscriptions
{
    private readonly List<BusSubscription> _subscriptions = [];

    public IReadOnlyList<BusSubscription> All => _subscriptions;

    internal void Add(BusSubscription subscription) => _subscriptions.Add(subscription);

    /// <summary>The distinct (topic, group) pairs this process consumes.</summary>
    public IEnumerable<(string Topic, string Group)> Consumers =>
        _subscriptions.Select(s => (s.Topic, s.Group)).Distinct();
}
