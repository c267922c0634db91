using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace SomaAgent.Runtime.Storage;

/// <summary>Deletes idempotency keys past their 24-hour life, once an hour.</summary>
public sealed class IdempotencyKeyJanitor(IDbContextFactory<SessionDbContext> dbFactory, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        try
        {
            do
            {
                await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                var now = time.GetUtcNow().UtcDateTime;
                await db.IdempotencyKeys.Where(k => k.ExpiresAt < now).ExecuteDeleteAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
