using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// The new rows of one session and the session's state after them, stored together, by the worker that
/// holds the session's lease at <paramref name="LeaseEpoch"/>.
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
    DateTime UpdatedAt);

/// <summary>
/// Group commit for running turns: one writer takes every write queued while the previous commit ran and
/// stores them in a single transaction, so many sessions share one commit and never contend for the
/// store's write lock (SQLite has one). A write is acknowledged only once committed. If a batch fails,
/// each write is retried alone, so one bad write cannot fail the others. A write whose lease epoch is no
/// longer the session's (another worker took the turn over) is refused with <see cref="LeaseLostException"/>.
/// </summary>
public sealed partial class SessionWriteQueue(
    IDbContextFactory<SessionDbContext> dbFactory, ILogger<SessionWriteQueue> logger, IHostApplicationLifetime? lifetime = null) : IHostedService
{
    public const int MaxBatch = 256;

    private readonly Channel<(SessionWrite Write, TaskCompletionSource Done)> _queue =
        Channel.CreateUnbounded<(SessionWrite, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _writer;

    public Task WriteAsync(SessionWrite write)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite((write, done))
            ? done.Task
            : Task.FromException(new InvalidOperationException("The session store writer has stopped."));
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writer = Task.Run(() => BackgroundLoop.RunAsync("session store writer", RunAsync, lifetime, logger, CancellationToken.None), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops taking writes and stores every write already queued (the turns being stopped write their last status).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_writer is not null)
        {
            await _writer.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<(SessionWrite Write, TaskCompletionSource Done)>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            try
            {
                await StoreAsync(batch.Select(b => b.Write));
                batch.ForEach(b => b.Done.TrySetResult());
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                LogBatchFailed(batch.Count, ex);
                foreach (var (write, done) in batch)
                {
                    try
                    {
                        await StoreAsync([write]);
                        done.TrySetResult();
                    }
                    catch (Exception single)
                    {
                        done.TrySetException(single);
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Done.TrySetException(ex);
            }
        }
    }

    private async Task StoreAsync(IEnumerable<SessionWrite> writes)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var list = writes.ToList();
        // The session row first: it is the fence. A stale worker's events never reach the table.
        foreach (var write in list)
        {
            var ended = Sessions.SessionStatus.IsEnded(write.Status);
            var updated = await db.Sessions.Where(s => s.Id == write.SessionId && s.LeaseEpoch == write.LeaseEpoch).ExecuteUpdateAsync(s =>
            {
                s.SetProperty(x => x.LastSequence, write.LastSequence)
                    .SetProperty(x => x.Status, write.Status)
                    .SetProperty(x => x.StatusReason, write.StatusReason)
                    .SetProperty(x => x.Output, write.Output)
                    .SetProperty(x => x.UpdatedAt, write.UpdatedAt);
                if (ended)
                {
                    // The turn is over: nobody holds the session until its next turn is claimed.
                    s.SetProperty(x => x.LeaseOwner, (string?)null).SetProperty(x => x.LeaseExpiresAt, (DateTime?)null);
                }
            }, CancellationToken.None);
            if (updated == 0)
            {
                throw new LeaseLostException(write.SessionId);
            }
        }
        foreach (var write in list)
        {
            db.Events.AddRange(write.Events);
            db.Messages.AddRange(write.Messages);
        }
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Warning, Message = "A batch of {Count} session writes failed; storing them one by one")]
    private partial void LogBatchFailed(int count, Exception exception);
}
