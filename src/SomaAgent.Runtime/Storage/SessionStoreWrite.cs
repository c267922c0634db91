namespace SomaAgent.Runtime.Storage;

/// <summary>
/// One write of a session's rows, stored by <see cref="SessionWriteQueue"/> together with the writes of other
/// sessions in one transaction. Each write checks its own condition inside that transaction and adds its rows only
/// when the condition holds; it must leave nothing behind when it does not.
/// </summary>
public abstract record SessionStoreWrite
{
    /// <summary>
    /// Applies the write to <paramref name="db"/> (inside the batch's transaction), its new events and messages to
    /// <paramref name="batch"/>; false when its condition did not hold.
    /// </summary>
    internal abstract Task<bool> ApplyAsync(SessionDbContext db, StoreBatch batch, CancellationToken cancellationToken);
}

/// <summary>
/// What a batch of writes stores beyond their own conditional statements: the running turns' writes, fenced together
/// by one statement, and every new session, event and message, inserted many rows per statement once every
/// condition held.
/// </summary>
internal sealed class StoreBatch
{
    public List<SessionFence> Fenced { get; } = [];
    public List<SessionRecord> Sessions { get; } = [];
    public List<SessionEventRecord> Events { get; } = [];
    public List<MessageRecord> Messages { get; } = [];
}
