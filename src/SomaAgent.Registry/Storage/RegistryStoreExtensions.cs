using SomaAgent.Registry.Storage;
using SomaAgent.Runtime.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the registry's tables.</summary>
public static class RegistryStoreExtensions
{
    /// <summary>The session store (identity) and the registry's own tables in the same database, migrated at start-up.</summary>
    public static IHostApplicationBuilder AddRegistryStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddSomaAgentStore();
        builder.AddStoreDbContext<RegistryDbContext, SqliteRegistryDbContext, PostgresRegistryDbContext>(RegistryDbContext.Tables);
        builder.Services.AddHostedService<StoreInitializer<RegistryDbContext>>();
        return builder;
    }
}
