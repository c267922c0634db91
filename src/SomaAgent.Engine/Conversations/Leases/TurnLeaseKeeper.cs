using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Messaging;
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
    SessionWriteQueue writes,
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
        var now = time.GetUtcNow().UtcDateTime;
        // Through the store writer: claims of many turns share a commit with the other sessions' writes.
        var claim = new TurnClaimWrite(sessionId, turn, worker.Id, now, now + options.Value.Lease);
        if (!await writes.WriteAsync(claim) || claim.Claimed is not { } claimed)
        {
            return null;
        }
        var lease = new TurnLease(sessionId, claimed.LeaseEpoch);
        _held[sessionId] = lease;
        return new TurnClaim(claimed, lease, claim.Resumed, claim.Announcement, claim.Transcript);
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

/// <summary>A claimed turn: the session as claimed, the lease, whether another worker had started it, and its transcript.</summary>
/// <param name="Started">A fresh turn's stored <c>running</c> event, for the runner to announce; null when resumed.</param>
/// <param name="Transcript">The session's messages in order, read with the claim.</param>
public sealed record TurnClaim(SessionRecord Session, TurnLease Lease, bool Resumed, SessionEventsAppended? Started, IReadOnlyList<MessageRecord> Transcript);
