namespace SomaAgent.Runtime.Messaging;

/// <summary>One handler of one message type, on one topic, for one consumer group.</summary>
public sealed record BusSubscription(
    string Topic,
    string Group,
    Type MessageType,
    Type HandlerType,
    Func<object, BusMessage, CancellationToken, Task> Invoke,
    bool OnlyNew = false);

/// <summary>Every subscription this process declared (see <see cref="EventBusBuilder"/>).</summary>
public sealed class BusSubscriptions
{
    private readonly List<BusSubscription> _subscriptions = [];

    public IReadOnlyList<BusSubscription> All => _subscriptions;

    internal void Add(BusSubscription subscription) => _subscriptions.Add(subscription);

    /// <summary>The distinct (topic, group) pairs this process consumes.</summary>
    public IEnumerable<(string Topic, string Group)> Consumers =>
        _subscriptions.Select(s => (s.Topic, s.Group)).Distinct();

    /// <summary>
    /// Each consumer group with the topics it reads. One consumer per group reads all of them, so with equal
    /// partition counts and session-id keys a session's partitions of every topic land on the same member.
    /// </summary>
    public IEnumerable<(string Group, IReadOnlyList<string> Topics, bool OnlyNew)> Groups =>
        _subscriptions.GroupBy(s => s.Group).Select(g => (g.Key, (IReadOnlyList<string>)[.. g.Select(s => s.Topic).Distinct()], g.All(s => s.OnlyNew)));
}
