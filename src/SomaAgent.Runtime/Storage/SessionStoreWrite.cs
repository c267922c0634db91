using Microsoft.EntityFrameworkCore;

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
/// condition held; and the transcripts the writes ask for (the turns they claim), read by one statement.
/// </summary>
internal sealed class StoreBatch
{
    private readonly List<(Guid SessionId, Action<IReadOnlyList<MessageRecord>> Receive)> _transcriptReads = [];

    public List<SessionFence> Fenced { get; } = [];
    public List<SessionRecord> Sessions { get; } = [];
    public List<SessionEventRecord> Events { get; } = [];
    public List<MessageRecord> Messages { get; } = [];

    /// <summary>Asks for the session's transcript, read in the batch's transaction once every write applied.</summary>
    public void ReadTranscript(Guid sessionId, Action<IReadOnlyList<MessageRecord>> receive) => _transcriptReads.Add((sessionId, receive));

    /// <summary>
    /// Reads every transcript asked for, in one statement: a turn starts from its transcript, and one read for all the
    /// turns claimed together saves each of them a round trip.
    /// </summary>
    public async Task ReadTranscriptsAsync(SessionDbContext db, CancellationToken cancellationToken)
    {
        if (_transcriptReads.Count == 0)
        {
            return;
        }
        var ids = _transcriptReads.Select(r => r.SessionId).Distinct().ToArray();
        var messages = (await db.Messages.AsNoTracking()
            .Where(m => ids.Contains(m.SessionId))
            .OrderBy(m => m.Ordinal)
            .ToListAsync(cancellationToken))
            .ToLookup(m => m.SessionId);
        foreach (var (sessionId, receive) in _transcriptReads)
        {
            receive([.. messages[sessionId]]);
        }
    }
}
