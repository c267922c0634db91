using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SomaAgent.Registry.Configuration;
using SomaAgent.Registry.Storage;

namespace SomaAgent.Registry.Artifacts;

/// <summary>
/// Removes blobs no version points at (a publish that failed after storing its package) once they are older than
/// <see cref="RegistryOptions.OrphanGracePeriod"/>, every <see cref="RegistryOptions.JanitorInterval"/>. Each blob is
/// marked in the index before it is removed and the row goes after it, so a crash half-way is finished by the next
/// pass, and a publish never commits over a blob being removed (see <see cref="BlobIndex"/>).
/// </summary>
public sealed partial class BlobJanitor(
    IDbContextFactory<RegistryDbContext> dbFactory, IArtifactStore store, IOptions<RegistryOptions> options, TimeProvider time, ILogger<BlobJanitor> logger)
    : BackgroundService
{
    private const int BatchSize = 100;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.JanitorInterval, time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass: answers how many blobs it removed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.OrphanGracePeriod;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var candidates = await db.Blobs.AsNoTracking()
            .Where(b => b.Deleting || (b.TouchedAt < cutoff && !db.CapsuleVersions.Any(v => v.PackageDigest == b.Digest)))
            .OrderBy(b => b.TouchedAt).Select(b => b.Digest).Take(BatchSize)
            .ToListAsync(cancellationToken);
        var removed = 0;
        foreach (var digest in candidates)
        {
            // The mark is conditional, so a publish that touched or claimed the blob since the read above keeps it.
            var marked = await db.Blobs
                .Where(b => b.Digest == digest && (b.Deleting || (b.TouchedAt < cutoff && !db.CapsuleVersions.Any(v => v.PackageDigest == b.Digest))))
                .ExecuteUpdateAsync(b => b.SetProperty(x => x.Deleting, true), cancellationToken);
            if (marked == 0)
            {
                continue;
            }
            await store.DeleteAsync(digest, cancellationToken);
            await db.Blobs.Where(b => b.Digest == digest && b.Deleting).ExecuteDeleteAsync(cancellationToken);
            LogRemoved(logger, digest);
            removed++;
        }
        return removed;
    }

    [LoggerMessage(EventId = 8010, Level = LogLevel.Information, Message = "Removed orphaned blob sha256 {Digest}: no capsule version points at it")]
    private static partial void LogRemoved(ILogger logger, string digest);

    [LoggerMessage(EventId = 8011, Level = LogLevel.Warning, Message = "The blob janitor's pass failed; it tries again at its next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
