namespace SomaAgent.Runtime.Storage;

/// <summary>
/// One write of a session's rows, stored by <see cref="SessionWriteQueue"/> together with the writes of other
/// sessions in one transaction. Each write checks its own condition inside that transaction and adds its rows only
/// when the condition holds; it must leave nothing behind when it does not.
/// </summary>
public abstract record SessionStoreWrite
{
    /// <summary>Applies the write to <paramref name="db"/> (inside the batch's transaction); false when its condition did not hold.</summary>
    internal abstract Task<bool> ApplyAsync(SessionDbContext db, CancellationToken cancellationToken);
}
