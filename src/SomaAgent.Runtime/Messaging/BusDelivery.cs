namespace SomaAgent.Runtime.Messaging;

/// <summary>How the instances of a service share the messages of one subscription.</summary>
public enum BusDelivery
{
    /// <summary>
    /// Work to be done once: the instances form a consumer group, each message goes to one of them, and its
    /// offset is committed only after the handler finished (a crash redelivers, a poison message is parked).
    /// Which instance gets a message depends on the group's partition assignment, which moves whenever an
    /// instance joins or leaves, so a handler must not assume it runs where some earlier message was handled.
    /// </summary>
    Shared,

    /// <summary>
    /// Notices meant for whichever instance holds something in memory (a turn waiting for a tool result, a
    /// client's event stream): every instance reads every message published after it started, from all
    /// partitions, with no consumer group, so no rebalance can send a notice elsewhere. Nothing is committed;
    /// instances that hold nothing for a message ignore it.
    /// </summary>
    EveryInstance,
}
