using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Group commit for every write of a session (<see cref="SessionStoreWrite"/>: a new session, a turn start, a
/// running turn's progress): one writer takes every write queued while the previous commit ran and stores them
/// in a single transaction, so many sessions share one commit and never contend for the store's write lock
/// (SQLite has one): the running turns' fences in one statement, their events and messages many rows per INSERT
/// (<see cref="StoreStatements"/>). A write is acknowledged only once committed, with whether its condition held. If a batch
/// fails, each write is retried alone, so one bad write cannot fail the others.
/// </summary>
public sealed partial class SessionWriteQueue(
    IDbContextFactory<SessionDbContext> dbFactory, ILogger<SessionWriteQueue> logger, IHostApplicationLifetime? lifetime = null) : IHostedService
{
    public const int MaxBatch = 256;

    private readonly Channel<(SessionStoreWrite Write, TaskCompletionSource<bool> Done)> _queue =
        Channel.CreateUnbounded<(SessionStoreWrite, TaskCompletionSource<bool>)>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _writer;

    /// <summary>Stores <paramref name="write"/> with the others queued now; true when its condition held and its rows are stored.</summary>
    public Task<bool> WriteAsync(SessionStoreWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite((write, done))
            ? done.Task
            : Task.FromException<bool>(new InvalidOperationException("The session store writer has stopped."));
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
        var batch = new List<(SessionStoreWrite Write, TaskCompletionSource<bool> Done)>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            try
            {
                var applied = await StoreAsync([.. batch.Select(b => b.Write)]);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(applied[i]);
                }
            }
            catch (Exception ex) when (batch.Count > 1)
            {
                LogBatchFailed(batch.Count, ex);
                foreach (var (write, done) in batch)
                {
                    try
                    {
                        done.TrySetResult((await StoreAsync([write]))[0]);
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

    private async Task<bool[]> StoreAsync(IReadOnlyList<SessionStoreWrite> writes)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        using var sql = new StoreStatements(db);
        var batch = new StoreBatch();
        var applied = new bool[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            applied[i] = await writes[i].ApplyAsync(db, batch, CancellationToken.None);
        }
        await batch.ReadTranscriptsAsync(db, CancellationToken.None);
        await SessionFence.ApplyAllAsync(db, sql, batch.Fenced, CancellationToken.None);
        // New sessions, then idempotency keys and queued inputs: before the rows that refer to them.
        await sql.InsertAsync(batch.Sessions, CancellationToken.None);
        if (db.ChangeTracker.HasChanges())
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        await sql.InsertAsync(batch.Events, CancellationToken.None);
        await sql.InsertAsync(batch.Messages, CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        RuntimeDiagnostics.EventsStored.Add(batch.Events.Count);
        return applied;
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Warning, Message = "A batch of {Count} session writes failed; storing them one by one")]
    private partial void LogBatchFailed(int count, Exception exception);
}
