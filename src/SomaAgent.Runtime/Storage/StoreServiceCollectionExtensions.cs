using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using SomaAgent.Runtime.Storage;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the session store, and the database every service's own tables live in.</summary>
public static class StoreServiceCollectionExtensions
{
    /// <summary>
    /// The session store alone (sessions, tenants, keys): PostgreSQL with <c>ConnectionStrings:postgres</c>, else
    /// SQLite. Services that only authenticate need this and nothing else of the runtime.
    /// </summary>
    public static IHostApplicationBuilder AddSomaAgentStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(d => d.ServiceType == typeof(IDbContextFactory<SessionDbContext>)))
        {
            return builder;
        }
        builder.AddStoreDbContext<SessionDbContext, SqliteSessionDbContext, PostgresSessionDbContext>(new StoreTables());
        // Registered first so the schema exists before recovery or the janitor touch it.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, StoreInitializer<SessionDbContext>>());
        builder.Services.AddHealthChecks().AddCheck<SessionStoreHealthCheck>("session-store", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// A service's own tables in the deployment's one database: PostgreSQL with <c>ConnectionStrings:postgres</c>,
    /// else SQLite at <c>ConnectionStrings:sqlite</c> or in <c>SomaAgent:DataDirectory</c>. Each provider has its own
    /// context type, so each owns its migrations; <paramref name="tables"/> says where they and their history live.
    /// Resolve <see cref="IDbContextFactory{TContext}"/> of <typeparamref name="TContext"/>.
    /// </summary>
    public static IHostApplicationBuilder AddStoreDbContext<TContext, TSqlite, TPostgres>(this IHostApplicationBuilder builder, StoreTables tables)
        where TContext : DbContext
        where TSqlite : TContext
        where TPostgres : TContext
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tables);
        var services = builder.Services;
        services.AddOptions<SessionStoreOptions>().BindConfiguration(SessionStoreOptions.SectionName).ValidateOnStart();

        var postgres = builder.Configuration.GetConnectionString("postgres");
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            postgres = WithStoreDefaults(postgres);
            services.AddPooledDbContextFactory<TPostgres>(o => o.UseNpgsql(postgres, n => n.MigrationsHistoryTable(tables.HistoryTable, tables.PostgresSchema)));
            // Aspire's PostgreSQL integration adds Npgsql's traces and metrics and its settings
            // (Aspire:Npgsql:EntityFrameworkCore:PostgreSQL). Not its retrying execution strategy: the writers open
            // their own transactions, which a retrying strategy refuses outside its own ExecuteAsync, and a replayed
            // transaction could repeat what ran before it (a publish stores its blob first); the session write queue
            // retries a failed batch write by write instead. Not its health check either: it resolves the context
            // from DI, which a pooled factory does not register; each store has its own check on the factory instead.
            builder.EnrichNpgsqlDbContext<TPostgres>(settings =>
            {
                settings.DisableRetry = true;
                settings.DisableHealthChecks = true;
            });
            services.AddSingleton<IDbContextFactory<TContext>, ContextFactory<TContext, TPostgres>>();
            return builder;
        }
        var sqlite = builder.Configuration.GetConnectionString("sqlite");
        if (string.IsNullOrWhiteSpace(sqlite))
        {
            sqlite = $"Data Source={Path.Combine(builder.DataDirectory(), "somaagent.db")}";
        }
        services.AddPooledDbContextFactory<TSqlite>(o => o
            .UseSqlite(sqlite, s => s.MigrationsHistoryTable(tables.SqliteHistoryTable ?? tables.HistoryTable))
            .AddInterceptors(new SqliteConnectionSetup()));
        services.AddSingleton<IDbContextFactory<TContext>, ContextFactory<TContext, TSqlite>>();
        return builder;
    }

    /// <summary>
    /// Connection settings for a store that sends the same few statements all day, unless the connection string
    /// sets them itself: Npgsql prepares the statements a connection sends most often (<c>Max Auto Prepare</c>), so
    /// PostgreSQL parses and plans them once per connection instead of on every run; and a connection returned to the
    /// pool is not reset (<c>No Reset On Close</c>), which cost PostgreSQL a reset round of statements on each of the
    /// ~5 pool rentals per agent run. The store sets no session state that a reset would have to clear.
    /// </summary>
    internal static string WithStoreDefaults(string connectionString)
    {
        // The generic builder holds only the keys the string sets (Npgsql's knows every key it supports).
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        var settings = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            settings.MaxAutoPrepare = 64;
            settings.AutoPrepareMinUsages = 2;
        }
        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            settings.NoResetOnClose = true;
        }
        return settings.ConnectionString;
    }

    /// <summary>The folder of embedded data (<see cref="DataHome"/>), as a full path.</summary>
    public static string DataDirectory(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return DataHome.Resolve(builder.Configuration, builder.Environment.ContentRootPath);
    }

    private sealed class ContextFactory<TContext, TProvider>(IDbContextFactory<TProvider> inner) : IDbContextFactory<TContext>
        where TContext : DbContext
        where TProvider : TContext
    {
        public TContext CreateDbContext() => inner.CreateDbContext();

        public async Task<TContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
            await inner.CreateDbContextAsync(cancellationToken);
    }
}
