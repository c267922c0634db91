using Microsoft.EntityFrameworkCore;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// A running turn's new session state, stored only while the session's lease epoch is still
/// <paramref name="LeaseEpoch"/>, the epoch its writer claimed the turn at. <paramref name="EndsTurn"/>: the turn
/// is over, and gives its lease up (nobody holds the session until its next turn is claimed).
/// </summary>
public sealed record SessionFence(
    Guid SessionId, long LeaseEpoch, long LastSequence, string Status, string? StatusReason, string Output, DateTime UpdatedAt, bool EndsTurn)
{
    /// <summary>How many inputs waited for the turn when the fence was stored (<see cref="SessionRecord.QueuedInputs"/>); null until then.</summary>
    public int? QueuedInputs { get; private set; }

    private static readonly RowColumn<SessionFence>[] Columns =
    [
        new("w_id", nameof(SessionRecord.Id), f => f.SessionId),
        new("w_epoch", nameof(SessionRecord.LeaseEpoch), f => f.LeaseEpoch),
        new("w_last_sequence", nameof(SessionRecord.LastSequence), f => f.LastSequence),
        new("w_status", nameof(SessionRecord.Status), f => f.Status),
        new("w_status_reason", nameof(SessionRecord.StatusReason), f => f.StatusReason),
        new("w_output", nameof(SessionRecord.Output), f => f.Output),
        new("w_updated_at", nameof(SessionRecord.UpdatedAt), f => f.UpdatedAt),
        new("w_ended", null, f => f.EndsTurn ? 1L : 0L),
    ];

    /// <summary>
    /// The fences of every running turn in a batch, in one statement. The session rows are written before any event:
    /// a stale worker's events never reach the table, because a refused fence fails the batch (then each write is
    /// stored alone and only the stale one is refused with <see cref="LeaseLostException"/>).
    /// </summary>
    internal static async Task ApplyAllAsync(SessionDbContext db, StoreStatements sql, IReadOnlyList<SessionFence> fences, CancellationToken cancellationToken)
    {
        if (fences.Count == 0)
        {
            return;
        }
        if (fences.DistinctBy(f => f.SessionId).Count() < fences.Count)
        {
            // Two writes of one session in a batch (rare: a turn awaits each write): in order, one statement each.
            foreach (var fence in fences)
            {
                await ApplyAllAsync(db, sql, [fence], cancellationToken);
            }
            return;
        }
        var sessions = sql.Table<SessionRecord>();
        string Column(string property) => sql.Column<SessionRecord>(property);
        var rows = sql.Rows<SessionRecord, SessionFence>("v", fences, Columns);
        var text = $"""
            UPDATE {sessions} SET {Column(nameof(SessionRecord.LastSequence))} = v.w_last_sequence, {Column(nameof(SessionRecord.Status))} = v.w_status,
                {Column(nameof(SessionRecord.StatusReason))} = v.w_status_reason, {Column(nameof(SessionRecord.Output))} = v.w_output,
                {Column(nameof(SessionRecord.UpdatedAt))} = v.w_updated_at,
                {Column(nameof(SessionRecord.LeaseOwner))} = CASE WHEN v.w_ended = 1 THEN NULL ELSE {sessions}.{Column(nameof(SessionRecord.LeaseOwner))} END,
                {Column(nameof(SessionRecord.LeaseExpiresAt))} = CASE WHEN v.w_ended = 1 THEN NULL ELSE {sessions}.{Column(nameof(SessionRecord.LeaseExpiresAt))} END
            FROM {rows}
            WHERE {sessions}.{Column(nameof(SessionRecord.Id))} = v.w_id AND {sessions}.{Column(nameof(SessionRecord.LeaseEpoch))} = v.w_epoch
            RETURNING {Column(nameof(SessionRecord.Id))} AS {sql.Identifier(nameof(FencedRow.Id))},
                {Column(nameof(SessionRecord.QueuedInputs))} AS {sql.Identifier(nameof(FencedRow.QueuedInputs))}
            """;
        var fenced = (await db.Database.SqlQueryRaw<FencedRow>(text, sql.TakeParameters()).ToListAsync(cancellationToken))
            .ToDictionary(row => row.Id, row => row.QueuedInputs);
        foreach (var fence in fences)
        {
            if (!fenced.TryGetValue(fence.SessionId, out var queuedInputs))
            {
                throw new LeaseLostException(fence.SessionId);
            }
            fence.QueuedInputs = queuedInputs;
        }
    }

    private sealed record FencedRow(Guid Id, int QueuedInputs);
}
