using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Engine.Conversations.Leases;

/// <summary>
/// Claims turns for this worker and keeps the claims alive: every third of the lease it pushes the expiry of
/// each held lease forward, fenced by the epoch, and tells a turn whose lease another worker has taken that it
/// must stop. Releasing hands a turn back without ending it, so the next worker resumes it at once.
/// </summary>
public sealed partial class TurnLeaseKeeper(
    IDbContextFactory<SessionDbContext> dbFactory,
    WorkerIdentity worker,
    IOptions<ConversationOptions> options,
    TimeProvider time,
    ILogger<TurnLeaseKeeper> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, TurnLease> _held = new();

    public int HeldCount => _held.Count;

    /// <summary>
    /// Takes the session's turn if it is queued, or running under an expired lease (its worker stopped).
    /// Null when another worker has it or it is not that turn any more.
    /// </summary>
    public async Task<TurnClaim?> TryClaimAsync(Guid sessionId, int turn, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        using var sql = new StoreStatements(db);
        var now = time.GetUtcNow().UtcDateTime;
        string Column(string property) => sql.Column<SessionRecord>(property);
        string Value(string property, object? value) => sql.Parameter<SessionRecord>(property, value);
        var status = Column(nameof(SessionRecord.Status));
        var expiresAt = Column(nameof(SessionRecord.LeaseExpiresAt));
        // One statement claims and reads: the update's condition is what makes a turn claimable (queued, or
        // running under an expired lease), so of two workers racing for the
        // turn one wins, and the row comes back as claimed. A turn starts with no attempt (SessionTurns), so a
        // claim that makes it the second attempt or later resumes a turn another worker started.
        var text = $"""
            UPDATE {sql.Table<SessionRecord>()} SET {status} = {Value(nameof(SessionRecord.Status), SessionStatus.Running)},
                {Column(nameof(SessionRecord.LeaseOwner))} = {Value(nameof(SessionRecord.LeaseOwner), worker.Id)},
                {expiresAt} = {Value(nameof(SessionRecord.LeaseExpiresAt), now + options.Value.Lease)},
                {Column(nameof(SessionRecord.LeaseEpoch))} = {Column(nameof(SessionRecord.LeaseEpoch))} + 1,
                {Column(nameof(SessionRecord.TurnAttempts))} = {Column(nameof(SessionRecord.TurnAttempts))} + 1
            WHERE {Column(nameof(SessionRecord.Id))} = {Value(nameof(SessionRecord.Id), sessionId)} AND {Column(nameof(SessionRecord.Turn))} = {Value(nameof(SessionRecord.Turn), turn)}
                AND ({status} = {Value(nameof(SessionRecord.Status), SessionStatus.Queued)}
                    OR ({status} IN ({Value(nameof(SessionRecord.Status), SessionStatus.Running)}, {Value(nameof(SessionRecord.Status), SessionStatus.WaitingTool)})
                        AND ({expiresAt} IS NULL OR {expiresAt} <= {Value(nameof(SessionRecord.LeaseExpiresAt), now)})))
            RETURNING *
            """;
        var claimed = await db.Sessions.FromSqlRaw(text, sql.TakeParameters()).AsNoTracking().AsAsyncEnumerable().FirstOrDefaultAsync(cancellationToken);
        if (claimed is null)
        {
            return null;
        }
        var lease = new TurnLease(sessionId, claimed.LeaseEpoch);
        _held[sessionId] = lease;
        return new TurnClaim(claimed, lease, Resumed: claimed.TurnAttempts > 1);
    }

    /// <summary>Stops renewing the lease (the turn has ended; its final write carried the status).</summary>
    public void Forget(TurnLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        _held.TryRemove(new KeyValuePair<Guid, TurnLease>(lease.SessionId, lease));
    }

    /// <summary>Hands an unfinished turn back: its lease expires now, so any worker may resume it.</summary>
    public async Task ReleaseAsync(TurnLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Forget(lease);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Sessions
            .Where(s => s.Id == lease.SessionId && s.LeaseEpoch == lease.Epoch)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.LeaseOwner, (string?)null)
                .SetProperty(x => x.LeaseExpiresAt, time.GetUtcNow().UtcDateTime), cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Lease / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RenewAllAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The store is unreachable: keep trying; if it lasts past the lease, others take over and
                    // the fence stops this worker's writes.
                    LogRenewFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RenewAllAsync(CancellationToken cancellationToken)
    {
        if (_held.IsEmpty)
        {
            return;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var expires = time.GetUtcNow().UtcDateTime + options.Value.Lease;
        foreach (var lease in _held.Values)
        {
            var renewed = await db.Sessions
                .Where(s => s.Id == lease.SessionId && s.LeaseEpoch == lease.Epoch)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LeaseExpiresAt, expires), cancellationToken);
            if (renewed == 0 && _held.TryRemove(new KeyValuePair<Guid, TurnLease>(lease.SessionId, lease)))
            {
                LogLeaseLost(lease.SessionId, lease.Epoch);
                lease.MarkLost();
            }
        }
    }

    [LoggerMessage(EventId = 1510, Level = LogLevel.Warning, Message = "Could not renew turn leases")]
    private partial void LogRenewFailed(Exception exception);

    [LoggerMessage(EventId = 1511, Level = LogLevel.Warning, Message = "Lost the lease on session {SessionId} (epoch {Epoch}): another worker took the turn over")]
    private partial void LogLeaseLost(Guid sessionId, long epoch);
}

/// <summary>A claimed turn: the session as claimed, the lease, and whether another worker had started it.</summary>
public sealed record TurnClaim(SessionRecord Session, TurnLease Lease, bool Resumed);
