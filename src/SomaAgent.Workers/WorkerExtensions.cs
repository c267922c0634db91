using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The Workers service runs the conversation worker and the tool executor over the Kafka bus
/// (<c>ConnectionStrings:kafka</c>), sharing the store with the gateway. Without Kafka it stands by: the
/// in-memory bus is private to one process, and the gateway runs both roles in-process then.
/// </summary>
public static partial class WorkerExtensions
{
    public const string RolesKey = "SomaAgent:Workers:Roles";

    /// <summary>Roles a Workers process runs unless <see cref="RolesKey"/> names some: both.</summary>
    public static IReadOnlyList<string> AllRoles { get; } = [EngineServiceCollectionExtensions.ConversationWorkerGroup, EngineServiceCollectionExtensions.ToolExecutorGroup];

    public static IHostApplicationBuilder AddWorkerRoles(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Configuration.KafkaBootstrapServers() is not null)
        {
            // Each role is its own consumer group, so a deployment may scale them apart: one Workers
            // deployment per role, each with its own replica count.
            var roles = RolesOf(builder.Configuration[RolesKey]);
            var bus = builder.AddSomaAgentEngine().UseKafkaOrInMemoryBus(builder.Configuration);
            builder.Services.AddGgufModels();
            if (roles.Contains(EngineServiceCollectionExtensions.ConversationWorkerGroup))
            {
                bus.AddConversationWorker();
            }
            if (roles.Contains(EngineServiceCollectionExtensions.ToolExecutorGroup))
            {
                bus.AddToolExecutor();
            }
            builder.Services.AddSingleton(new WorkerStatus(
                Roles: roles,
                Bus: "kafka",
                Mode: "active",
                Reason: $"Consuming {string.Join(", ", roles.Select(TopicsOf))} from Kafka."));
            return builder;
        }
        builder.Services.AddSingleton(new WorkerStatus(
            Roles: [],
            Bus: "none",
            Mode: "standby",
            Reason: "No shared bus (ConnectionStrings:kafka is not set), so the gateway hosts the conversation worker and tool executor in-process."));
        builder.Services.AddHostedService<StandbyNotice>();
        return builder;
    }

    /// <summary>The configured roles (a comma-separated list), refusing names that are not roles.</summary>
    private static IReadOnlyList<string> RolesOf(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return AllRoles;
        }
        var roles = configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        var unknown = roles.Where(r => !AllRoles.Contains(r)).ToList();
        if (roles.Count == 0 || unknown.Count > 0)
        {
            throw new InvalidOperationException(
                $"{RolesKey} ('{configured}') must list one or more of {string.Join(", ", AllRoles)}, separated by commas; unknown: {string.Join(", ", unknown)}.");
        }
        return roles;
    }

    private static string TopicsOf(string role) => role == EngineServiceCollectionExtensions.ConversationWorkerGroup
        ? "conversation.inbound and tool.results (conversation worker)"
        : "tool.requests (tool executor)";

    public static WebApplication MapWorkerStatus(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", (WorkerStatus status) => TypedResults.Ok(status)).WithName("GetWorkerStatus");
        return app;
    }

    /// <summary>What this worker process runs, and why.</summary>
    public sealed record WorkerStatus(IReadOnlyList<string> Roles, string Bus, string Mode, string Reason);

    private sealed partial class StandbyNotice(WorkerStatus status, ILogger<StandbyNotice> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            LogStandby(status.Reason);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(EventId = 7000, Level = LogLevel.Warning, Message = "Workers service on standby: {Reason}")]
        private partial void LogStandby(string reason);
    }
}
