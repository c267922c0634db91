using Microsoft.EntityFrameworkCore;
using SomaAgent.Registry.Storage;

namespace SomaAgent.Registry.Artifacts;

/// <summary>
/// Stores blobs so that no row ever points at a missing one and none is left behind for good. A publish
/// <see cref="StoreAsync">stores</see> its package (recording it in the index first, so the janitor knows of it even
/// if the publish then fails), then <see cref="ClaimAsync">claims</see> it inside the transaction that commits the
/// version. The janitor removes a blob only after marking its index row, and only when no version points at it and
/// no publish touched it within the grace period; a claim refuses a marked row, so a version is never committed
/// over a blob being removed.
/// </summary>
public sealed class BlobIndex(IDbContextFactory<RegistryDbContext> dbFactory, IArtifactStore store, TimeProvider time)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(100);
    private const int MaxWaits = 50;

    /// <summary>Records the blob in the index and stores it; answers its digest.</summary>
    /// <param name="digest">The SHA-256 the caller computed; the store's must match it.</param>
    /// <exception cref="ArtifactStoreUnavailableException">The blob is being removed and stayed so, or the store refused it.</exception>
    public async Task StoreAsync(Func<Stream> open, string digest, long size, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArtifactDigest.ThrowIfInvalid(digest);
        await TouchAsync(digest, size, cancellationToken);
        await using var content = open();
        var stored = await store.PutAsync(content, cancellationToken);
        if (stored != digest)
        {
            throw new ArtifactStoreUnavailableException($"The artifact store computed sha256 {stored} for a blob of sha256 {digest}.");
        }
    }

    /// <summary>
    /// In the transaction that commits a row pointing at <paramref name="digest"/>: whether the blob is safe to point
    /// at (not being removed). When it answers false, store the blob again and retry.
    /// </summary>
    public async Task<bool> ClaimAsync(RegistryDbContext db, string digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var now = time.GetUtcNow().UtcDateTime;
        return await db.Blobs.Where(b => b.Digest == digest && !b.Deleting)
            .ExecuteUpdateAsync(b => b.SetProperty(x => x.TouchedAt, now), cancellationToken) == 1;
    }

    /// <summary>Creates or touches the index row; waits while the janitor is removing the blob.</summary>
    private async Task TouchAsync(string digest, long size, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxWaits; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var now = time.GetUtcNow().UtcDateTime;
            if (await db.Blobs.Where(b => b.Digest == digest && !b.Deleting)
                    .ExecuteUpdateAsync(b => b.SetProperty(x => x.TouchedAt, now), cancellationToken) == 1)
            {
                return;
            }
            if (!await db.Blobs.AnyAsync(b => b.Digest == digest, cancellationToken))
            {
                db.Blobs.Add(new BlobRecord { Digest = digest, Size = size, TouchedAt = now });
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                    return;
                }
                catch (DbUpdateException)
                {
                    // Another publish of the same bytes, or the janitor, got there first: look again.
                    continue;
                }
            }
            await Task.Delay(RetryDelay, time, cancellationToken);
        }
        throw new ArtifactStoreUnavailableException($"The blob sha256 {digest} is being removed by the janitor; retry the publish.");
    }
}

/// <summary>The artifact store could not take or give a blob; answered 503 and nothing was committed.</summary>
public sealed class ArtifactStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
