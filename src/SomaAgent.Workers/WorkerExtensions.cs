using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The Workers service runs the conversation worker and the tool executor over the Kafka bus
/// (<c>ConnectionStrings:kafka</c>), sharing the store with the gateway. Without Kafka it stands by: the
/// in-memory bus is private to one process, and the gateway runs both roles in-process then.
/// </summary>
public static partial class WorkerExtensions
{
    public static IHostApplicationBuilder AddWorkerRoles(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Configuration.KafkaBootstrapServers() is not null)
        {
            builder.AddSomaAgentRuntime().AddConversationWorker().AddToolExecutor();
            builder.Services.AddSingleton(new WorkerStatus(
                Roles: ["conversation-worker", "tool-executor"],
                Bus: "kafka",
                Mode: "active",
                Reason: "Consuming conversation.inbound, tool.results and tool.requests from Kafka."));
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

        [LoggerMessage(EventId = 2000, Level = LogLevel.Warning, Message = "Workers service on standby: {Reason}")]
        private partial void LogStandby(string reason);
    }
}
