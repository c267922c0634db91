using Microsoft.EntityFrameworkCore;

namespace SomaAgent.Registry.Storage;

/// <summary>
/// Brings the registry's tables up to date at start-up, after the session store's (its initializer runs
/// first): a database that predates the registry's tables gains them in place.
/// </summary>
internal sealed class RegistryStoreInitializer(IDbContextFactory<RegistryDbContext> dbFactory) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
