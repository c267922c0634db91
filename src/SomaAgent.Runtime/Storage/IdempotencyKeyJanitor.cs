using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SomaAgent.Runtime.Storage;

/// <summary>Deletes idempotency keys past their 24-hour life, once an hour; a failed pass waits for the next.</summary>
public sealed partial class IdempotencyKeyJanitor(IDbContextFactory<SessionDbContext> dbFactory, TimeProvider time, ILogger<IdempotencyKeyJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        try
        {
            do
            {
                try
                {
                    await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                    var now = time.GetUtcNow().UtcDateTime;
                    await db.IdempotencyKeys.Where(k => k.ExpiresAt < now).ExecuteDeleteAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The store is away for now: expired keys only take room until the next pass.
                    LogCleanupFailed(ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Could not delete expired idempotency keys; trying again in an hour")]
    private partial void LogCleanupFailed(Exception exception);
}
