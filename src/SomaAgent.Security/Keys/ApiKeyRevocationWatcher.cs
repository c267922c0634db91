using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Security.Keys;

/// <summary>
/// The shared channel of <see cref="ApiKeyVerificationCache"/>: the store every replica reads keys from. Every
/// <see cref="Interval"/>, while the cache holds keys, it asks the store which of them are revoked or gone and
/// evicts those, so a key revoked on another replica stops working here within a second. One indexed query
/// per interval and replica, and none while no key is cached.
/// </summary>
public sealed partial class ApiKeyRevocationWatcher(
    IDbContextFactory<SessionDbContext> dbFactory,
    ApiKeyVerificationCache cache,
    TimeProvider time,
    ILogger<ApiKeyRevocationWatcher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(400);
    private const int IdsPerQuery = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        // The cache serves only while this channel runs: a process that cannot hear of revocations does not cache.
        cache.Enabled = true;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CheckAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            cache.Enabled = false;
            cache.Evict(cache.KeyIds);
        }
    }

    /// <summary>Evicts the cached keys that the store no longer accepts.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        cache.Trim();
        if (cache.IsEmpty)
        {
            return;
        }
        try
        {
            var held = cache.KeyIds;
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            foreach (var ids in held.Chunk(IdsPerQuery))
            {
                var valid = await db.ApiKeys.Where(k => ids.Contains(k.Id) && k.RevokedAt == null).Select(k => k.Id).ToListAsync(cancellationToken);
                if (valid.Count < ids.Length)
                {
                    cache.Evict([.. ids.Except(valid)]);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The store is unreachable: nothing can be confirmed, so nothing stays cached.
            LogCheckFailed(ex);
            cache.Evict(cache.KeyIds);
        }
    }

    [LoggerMessage(EventId = 5002, EventName = "CachedKeysUncheckable", Level = LogLevel.Warning, Message = "Could not check cached API keys for revocations; the cache was emptied")]
    private partial void LogCheckFailed(Exception exception);
}
