using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Brings one context's tables up to date before anything else starts (EF migrations take a lock): the session
/// store's, and after it a service's own (the Registry's), so a database that predates a service's tables gains
/// them in place.
/// </summary>
public sealed class StoreInitializer<TContext>(IDbContextFactory<TContext> dbFactory) : IHostedService
    where TContext : DbContext
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            if (new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource is { Length: > 0 } file
                && Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder)
            {
                Directory.CreateDirectory(folder);
            }
            // WAL lets the gateway read while a worker writes.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        await db.Database.MigrateAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
