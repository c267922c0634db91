using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Conversations;
using SomaAgent.Runtime.Conversations.Leases;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Storage;
using SomaAgent.Runtime.Tools;
using SomaAgent.Runtime.Tools.BuiltIn;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the agent runtime; each backing service is chosen by its own connection setting.</summary>
public static class RuntimeServiceCollectionExtensions
{
    public const string ConversationWorkerGroup = "conversation-worker";
    public const string ToolExecutorGroup = "tool-executor";

    /// <summary>The Kafka bootstrap servers when <c>ConnectionStrings:kafka</c> selects the Kafka bus, else null.</summary>
    public static string? KafkaBootstrapServers(this IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var servers = configuration.GetConnectionString("kafka");
        return string.IsNullOrWhiteSpace(servers) ? null : servers;
    }

    /// <summary>Store, bus, models and tools: what both the gateway and the workers need.</summary>
    public static EventBusBuilder AddSomaAgentRuntime(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.TryAddSingleton(TimeProvider.System);
        builder.AddSomaAgentStore();
        // Before the roles, so it starts before recovery writes and stops after the last turn's final write.
        services.AddHostedSingleton<SessionWriteQueue>();
        services.AddHostedService<IdempotencyKeyJanitor>();

        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ModelOptions>, ModelOptionsValidator>();
        services.AddOptions<ConversationOptions>().BindConfiguration(ConversationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<SessionTurns>();

        foreach (var tool in BuiltInTools.Create())
        {
            services.AddSingleton(tool);
        }
        services.TryAddSingleton<ToolCatalog>();
        builder.AddToolExecution();
        // Tools of configured MCP servers join the catalog once their servers answer (none by default).
        services.AddMcpTools();

        var subscriptions = new BusSubscriptions();
        services.AddSingleton(subscriptions);
        services.TryAddSingleton<BusDispatcher>();
        services.TryAddSingleton<DeadLetterRecorder>();
        // ConnectionStrings:kafka selects the Kafka bus; without it the in-memory bus keeps everything in-process.
        if (builder.Configuration.KafkaBootstrapServers() is { } kafka)
        {
            services.AddOptions<KafkaOptions>().BindConfiguration(KafkaOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            services.AddSingleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>();
            services.AddSingleton(sp => ActivatorUtilities.CreateInstance<KafkaEventBus>(sp, kafka));
            services.AddEventBus<KafkaEventBus>();
        }
        else
        {
            services.AddSingleton<InMemoryEventBus>();
            services.AddEventBus<InMemoryEventBus>();
        }

        return new EventBusBuilder(services, subscriptions);
    }

    /// <summary>
    /// The conversation-worker role: runs turns under leases, so any number of worker instances share the
    /// sessions and take over the turns of one that stops.
    /// </summary>
    public static EventBusBuilder AddConversationWorker(this EventBusBuilder bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.Services.TryAddSingleton<PendingToolCalls>();
        bus.Services.TryAddSingleton<WorkerIdentity>();
        bus.Services.AddHostedSingleton<TurnLeaseKeeper>();
        bus.Services.TryAddSingleton<ConversationTurnRunner>();
        bus.Services.AddHostedService<TurnSweeper>();
        bus.Services.AddHostedSingleton<TurnScheduler>();
        // Turns are work for any one worker. A tool result and a cancel concern the worker running the turn,
        // wherever the group's partition assignment has moved since it started: every worker reads them.
        return bus
            .AddSubscription<TurnRequested, TurnRequestedHandler>(Topics.ConversationInbound, ConversationWorkerGroup)
            .AddSubscription<TurnCancelRequested, TurnCancelRequestedHandler>(Topics.ConversationInbound, ConversationWorkerGroup, BusDelivery.EveryInstance)
            .AddSubscription<ToolCallCompleted, ToolCallCompletedHandler>(Topics.ToolResults, ConversationWorkerGroup, BusDelivery.EveryInstance);
    }

    /// <summary>The tool-executor role: runs requested tool calls and publishes their results.</summary>
    public static EventBusBuilder AddToolExecutor(this EventBusBuilder bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        return bus.AddSubscription<ToolCallRequested, ToolCallRequestedHandler>(Topics.ToolRequests, ToolExecutorGroup);
    }

    /// <summary>
    /// The session store alone (sessions, tenants, keys): PostgreSQL with <c>ConnectionStrings:postgres</c>,
    /// else SQLite. Services that only authenticate (the Registry) need this and nothing else of the runtime.
    /// </summary>
    public static IHostApplicationBuilder AddSomaAgentStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(IDbContextFactory<SessionDbContext>)))
        {
            return builder;
        }
        services.AddOptions<SessionStoreOptions>().BindConfiguration(SessionStoreOptions.SectionName).ValidateOnStart();

        var postgres = builder.Configuration.GetConnectionString("postgres");
        if (!string.IsNullOrWhiteSpace(postgres))
        {
            services.AddPooledDbContextFactory<PostgresSessionDbContext>(o => o.UseNpgsql(postgres));
            services.AddSingleton<IDbContextFactory<SessionDbContext>, SessionDbContextFactory<PostgresSessionDbContext>>();
        }
        else
        {
            var sqlite = builder.Configuration.GetConnectionString("sqlite");
            if (string.IsNullOrWhiteSpace(sqlite))
            {
                var folder = Path.GetFullPath(builder.Configuration[$"{SessionStoreOptions.SectionName}:DataDirectory"] ?? ".data", builder.Environment.ContentRootPath);
                sqlite = $"Data Source={Path.Combine(folder, "somaagent.db")}";
            }
            services.AddPooledDbContextFactory<SqliteSessionDbContext>(o => o.UseSqlite(sqlite).AddInterceptors(new SqliteConnectionSetup()));
            services.AddSingleton<IDbContextFactory<SessionDbContext>, SessionDbContextFactory<SqliteSessionDbContext>>();
        }

        // Registered first so the schema exists before recovery or the janitor touch it.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, SessionStoreInitializer>());
        services.AddHealthChecks().AddCheck<SessionStoreHealthCheck>("session-store", tags: ["ready"]);
        return builder;
    }

    /// <summary>One instance that both serves as <typeparamref name="T"/> and runs as a hosted service.</summary>
    private static void AddHostedSingleton<T>(this IServiceCollection services) where T : class, IHostedService
    {
        services.TryAddSingleton<T>();
        services.AddHostedService(sp => sp.GetRequiredService<T>());
    }

    /// <summary>The registered bus (already a singleton) as <see cref="IEventBus"/> and as a hosted service.</summary>
    private static void AddEventBus<TBus>(this IServiceCollection services) where TBus : class, IEventBus, IHostedService
    {
        services.AddSingleton<IEventBus>(sp => sp.GetRequiredService<TBus>());
        services.AddHostedService(sp => sp.GetRequiredService<TBus>());
    }

    private sealed class SessionDbContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<SessionDbContext>
        where TContext : SessionDbContext
    {
        public SessionDbContext CreateDbContext() => inner.CreateDbContext();

        public async Task<SessionDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
            await inner.CreateDbContextAsync(cancellationToken);
    }
}
