using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Runtime.Sessions;

/// <summary>
/// The new rows of one session and the session's state after them, stored together, by the worker that
/// holds the session's lease at <paramref name="LeaseEpoch"/>. A write whose lease epoch is no longer the
/// session's (another worker took the turn over) is refused with <see cref="LeaseLostException"/>.
/// </summary>
public sealed record SessionWrite(
    Guid SessionId,
    long LeaseEpoch,
    IReadOnlyList<SessionEventRecord> Events,
    IReadOnlyList<MessageRecord> Messages,
    long LastSequence,
    string Status,
    string? StatusReason,
    string Output,
    DateTime UpdatedAt) : SessionStoreWrite
{
    private SessionFence? _fence;

    /// <summary>How many posted messages waited for the turn when this write was stored; null until it is stored.</summary>
    public int? QueuedInputs => _fence?.QueuedInputs;

    /// <summary>Joins the batch: its fence is checked with the other running turns' (<see cref="SessionFence"/>), its rows inserted with theirs.</summary>
    internal override Task<bool> ApplyAsync(SessionDbContext db, StoreBatch batch, CancellationToken cancellationToken)
    {
        _fence = new SessionFence(SessionId, LeaseEpoch, LastSequence, Status, StatusReason, Output, UpdatedAt, EndsTurn: SessionStatus.IsEnded(Status));
        batch.Fenced.Add(_fence);
        batch.Events.AddRange(Events);
        batch.Messages.AddRange(Messages);
        return Task.FromResult(true);
    }
}

/// <summary>
/// Claims the session's turn <paramref name="Turn"/> for <paramref name="WorkerId"/> if it is claimable: queued, or
/// running under a lease that expired at <paramref name="Now"/> (its worker stopped). One statement claims and reads:
/// the update's condition is the claim rule, so of two workers racing for the turn one wins, and the row comes
/// back as claimed (<see cref="Claimed"/>, with the new lease epoch). A turn starts with no attempt, so a claim
/// that makes it the second attempt or later resumes a turn another worker started (<see cref="Resumed"/>). A
/// fresh turn's <c>running</c> status event is stored with the claim, in the writer's shared commit; the claim's
/// <see cref="Announcement"/> announces it once stored. False when another worker has the turn or it is not that
/// turn any more.
/// </summary>
public sealed record TurnClaimWrite(Guid SessionId, int Turn, string WorkerId, DateTime Now, DateTime LeaseExpiresAt) : SessionStoreWrite
{
    /// <summary>The session as claimed; set once the write was stored and returned true.</summary>
    public SessionRecord? Claimed { get; private set; }

    /// <summary>Whether another worker had started the turn.</summary>
    public bool Resumed => Claimed is { TurnAttempts: > 1 };

    /// <summary>The stored <c>running</c> event of a fresh turn, to publish; null for a resumed one.</summary>
    public SessionEventsAppended? Announcement { get; private set; }

    /// <summary>
    /// The session's transcript as claimed, in order: read in the claim's transaction, in one statement with the
    /// transcripts of the other turns claimed in the batch (a turn starts from it; nothing else writes a claimed turn's
    /// messages); empty until then.
    /// </summary>
    public IReadOnlyList<MessageRecord> Transcript { get; private set; } = [];

    internal override async Task<bool> ApplyAsync(SessionDbContext db, StoreBatch batch, CancellationToken cancellationToken)
    {
        Claimed = null;
        Announcement = null;
        Transcript = [];
        using var sql = new StoreStatements(db);
        string Column(string property) => sql.Column<SessionRecord>(property);
        string Value(string property, object? value) => sql.Parameter<SessionRecord>(property, value);
        var status = Column(nameof(SessionRecord.Status));
        var expiresAt = Column(nameof(SessionRecord.LeaseExpiresAt));
        var lastSequence = Column(nameof(SessionRecord.LastSequence));
        var queued = Value(nameof(SessionRecord.Status), SessionStatus.Queued);
        var text = $"""
            UPDATE {sql.Table<SessionRecord>()} SET {status} = {Value(nameof(SessionRecord.Status), SessionStatus.Running)},
                {lastSequence} = {lastSequence} + CASE WHEN {status} = {queued} THEN 1 ELSE 0 END,
                {Column(nameof(SessionRecord.LeaseOwner))} = {Value(nameof(SessionRecord.LeaseOwner), WorkerId)},
                {expiresAt} = {Value(nameof(SessionRecord.LeaseExpiresAt), LeaseExpiresAt)},
                {Column(nameof(SessionRecord.LeaseEpoch))} = {Column(nameof(SessionRecord.LeaseEpoch))} + 1,
                {Column(nameof(SessionRecord.TurnAttempts))} = {Column(nameof(SessionRecord.TurnAttempts))} + 1,
                {Column(nameof(SessionRecord.UpdatedAt))} = {Value(nameof(SessionRecord.UpdatedAt), Now)}
            WHERE {Column(nameof(SessionRecord.Id))} = {Value(nameof(SessionRecord.Id), SessionId)} AND {Column(nameof(SessionRecord.Turn))} = {Value(nameof(SessionRecord.Turn), Turn)}
                AND ({status} = {queued}
                    OR ({status} IN ({Value(nameof(SessionRecord.Status), SessionStatus.Running)}, {Value(nameof(SessionRecord.Status), SessionStatus.WaitingTool)})
                        AND ({expiresAt} IS NULL OR {expiresAt} <= {Value(nameof(SessionRecord.LeaseExpiresAt), Now)})))
            RETURNING *
            """;
        var claimed = await db.Sessions.FromSqlRaw(text, sql.TakeParameters()).AsNoTracking().AsAsyncEnumerable().FirstOrDefaultAsync(cancellationToken);
        if (claimed is null)
        {
            return false;
        }
        if (claimed.TurnAttempts == 1)
        {
            // Numbered as the claim numbered it: the event takes the sequence the update just counted.
            var events = new SessionEventBuilder(claimed, claimed.LastSequence - 1);
            events.Status(SessionStatus.Running, Now);
            var (records, announcement) = events.Drain();
            batch.Events.AddRange(records);
            Announcement = announcement;
        }
        Claimed = claimed;
        batch.ReadTranscript(SessionId, messages => Transcript = messages);
        return true;
    }
}

/// <summary>
/// A new session with its first turn queued (the outbox entry), and the idempotency key that names the request.
/// A key stored by a concurrent request makes the write fail with <see cref="DbUpdateException"/>.
/// </summary>
public sealed record SessionCreateWrite(
    SessionRecord Session,
    IReadOnlyList<MessageRecord> Messages,
    IReadOnlyList<SessionEventRecord> Events,
    IdempotencyRecord? IdempotencyKey) : SessionStoreWrite
{
    internal override async Task<bool> ApplyAsync(SessionDbContext db, StoreBatch batch, CancellationToken cancellationToken)
    {
        if (IdempotencyKey is { } key)
        {
            // An expired key of the same name gives way to this one.
            await db.IdempotencyKeys
                .Where(k => k.TenantId == key.TenantId && k.Scope == key.Scope && k.Key == key.Key && k.ExpiresAt <= key.CreatedAt)
                .ExecuteDeleteAsync(cancellationToken);
            db.IdempotencyKeys.Add(key);
        }
        batch.Sessions.Add(Session);
        batch.Messages.AddRange(Messages);
        batch.Events.AddRange(Events);
        return true;
    }
}

/// <summary>
/// The next turn of a session whose turn <paramref name="SeenTurn"/> was seen ended: only one start wins, the one
/// whose update still finds that turn ended. <paramref name="QueuedInput"/>, when the turn comes from the wait queue,
/// is taken off it in the same step; if another start took it first, this one leaves everything as it was.
/// </summary>
public sealed record TurnStartWrite(
    Guid SessionId,
    int SeenTurn,
    long LastSequence,
    IReadOnlyList<MessageRecord> Messages,
    IReadOnlyList<SessionEventRecord> Events,
    Guid? QueuedInput,
    DateTime UpdatedAt) : SessionStoreWrite
{
    internal override async Task<bool> ApplyAsync(SessionDbContext db, StoreBatch batch, CancellationToken cancellationToken)
    {
        var transaction = db.Database.CurrentTransaction ?? throw new InvalidOperationException("A turn start is stored inside the writer's transaction.");
        var savepoint = $"turn_start_{SessionId:N}";
        await transaction.CreateSavepointAsync(savepoint, cancellationToken);
        var taken = QueuedInput is null ? 0 : 1;
        var won = await db.Sessions
            .Where(s => s.Id == SessionId && s.Turn == SeenTurn
                && (s.Status == SessionStatus.Completed || s.Status == SessionStatus.Failed || s.Status == SessionStatus.Cancelled))
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Turn, SeenTurn + 1)
                .SetProperty(x => x.QueuedInputs, x => x.QueuedInputs - taken)
                .SetProperty(x => x.Status, SessionStatus.Queued)
                .SetProperty(x => x.StatusReason, (string?)null)
                .SetProperty(x => x.Output, "")
                .SetProperty(x => x.CancelRequested, false)
                .SetProperty(x => x.TurnAttempts, 0)
                .SetProperty(x => x.LeaseOwner, (string?)null)
                .SetProperty(x => x.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(x => x.LastSequence, LastSequence)
                .SetProperty(x => x.UpdatedAt, UpdatedAt), cancellationToken);
        if (won == 0)
        {
            return false;
        }
        if (QueuedInput is { } id && await db.QueuedInputs.Where(q => q.Id == id).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            await transaction.RollbackToSavepointAsync(savepoint, cancellationToken);
            return false;
        }
        await transaction.ReleaseSavepointAsync(savepoint, cancellationToken);
        batch.Messages.AddRange(Messages);
        batch.Events.AddRange(Events);
        return true;
    }
}

/// <summary>
/// Ends the latest turn <c>failed</c> from outside the worker running it (its message was parked as poison): only
/// if nobody wrote to the session since it was read (<paramref name="SeenLeaseEpoch"/>, <paramref name="SeenLastSequence"/>),
/// and with a new lease epoch, which fences off any worker still running the turn.
/// </summary>
public sealed record TurnFailWrite(
    Guid SessionId,
    long SeenLeaseEpoch,
    long SeenLastSequence,
    long LastSequence,
    string Reason,
    IReadOnlyList<SessionEventRecord> Events,
    DateTime UpdatedAt) : SessionStoreWrite
{
    internal override async Task<bool> ApplyAsync(SessionDbContext db, StoreBatch batch, CancellationToken cancellationToken)
    {
        var won = await db.Sessions
            .Where(s => s.Id == SessionId && s.LeaseEpoch == SeenLeaseEpoch && s.LastSequence == SeenLastSequence)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, SessionStatus.Failed)
                .SetProperty(x => x.StatusReason, Reason)
                .SetProperty(x => x.LastSequence, LastSequence)
                .SetProperty(x => x.LeaseEpoch, SeenLeaseEpoch + 1)
                .SetProperty(x => x.LeaseOwner, (string?)null)
                .SetProperty(x => x.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(x => x.UpdatedAt, UpdatedAt), cancellationToken);
        if (won == 0)
        {
            return false;
        }
        batch.Events.AddRange(Events);
        return true;
    }
}

/// <summary>
/// A capsule taken on (or flagged) between turns: the session's capsule and tools (unless <paramref name="ToolsJson"/>
/// is null) change, and the capsule's system prompt joins the transcript, only if the session is still as it was read (its latest turn <paramref name="SeenTurn"/> ended, no
/// event since <paramref name="SeenLastSequence"/>); false when a turn started or anything else was written since.
/// </summary>
public sealed record CapsuleAttachWrite(
    Guid SessionId,
    int SeenTurn,
    long SeenLastSequence,
    long LastSequence,
    string CapsuleJson,
    string? ToolsJson,
    IReadOnlyList<MessageRecord> Messages,
    IReadOnlyList<SessionEventRecord> Events,
    DateTime UpdatedAt) : SessionStoreWrite
{
    internal override async Task<bool> ApplyAsync(SessionDbContext db, StoreBatch batch, CancellationToken cancellationToken)
    {
        var won = await db.Sessions
            .Where(s => s.Id == SessionId && s.Turn == SeenTurn && s.LastSequence == SeenLastSequence
                && (s.Status == SessionStatus.Completed || s.Status == SessionStatus.Failed || s.Status == SessionStatus.Cancelled))
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.CapsuleJson, CapsuleJson)
                .SetProperty(x => x.ToolsJson, x => ToolsJson ?? x.ToolsJson)
                .SetProperty(x => x.LastSequence, LastSequence)
                .SetProperty(x => x.UpdatedAt, UpdatedAt), cancellationToken);
        if (won == 0)
        {
            return false;
        }
        batch.Messages.AddRange(Messages);
        batch.Events.AddRange(Events);
        return true;
    }
}

/// <summary>
/// A posted message that waits for the running turn to end (<c>?strategy=enqueue</c> or <c>interrupt</c>), counted on
/// the session row (<see cref="SessionRecord.QueuedInputs"/>). False when the session is gone.
/// </summary>
public sealed record QueuedInputWrite(QueuedInputRecord Input) : SessionStoreWrite
{
    internal override async Task<bool> ApplyAsync(SessionDbContext db, StoreBatch batch, CancellationToken cancellationToken)
    {
        // The update takes the session row's lock: a turn's ending write either sees this input counted or ends
        // before this commits (then the enqueue, reading after its commit, finds the turn ended and starts it).
        var counted = await db.Sessions
            .Where(s => s.Id == Input.SessionId)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.QueuedInputs, x => x.QueuedInputs + 1), cancellationToken);
        if (counted == 0)
        {
            return false;
        }
        db.QueuedInputs.Add(Input);
        return true;
    }
}

/// <summary>Marks the session's turn to stop, if one is queued or running; false when none is.</summary>
public sealed record CancelRequestWrite(Guid SessionId, string TenantId) : SessionStoreWrite
{
    internal override async Task<bool> ApplyAsync(SessionDbContext db, StoreBatch batch, CancellationToken cancellationToken) =>
        await db.Sessions
            .Where(s => s.Id == SessionId && s.TenantId == TenantId
                && (s.Status == SessionStatus.Queued || s.Status == SessionStatus.Running || s.Status == SessionStatus.WaitingTool))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.CancelRequested, true), cancellationToken) > 0;
}
