using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SomaAgent.Engine.Conversations;
using SomaAgent.Engine.Conversations.Leases;
using SomaAgent.Engine.Tools;
using SomaAgent.Runtime.Messaging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the agent engine and its two worker roles, in the Workers process or in the gateway.</summary>
public static class EngineServiceCollectionExtensions
{
    public const string ConversationWorkerGroup = "conversation-worker";
    public const string ToolExecutorGroup = "tool-executor";

    /// <summary>
    /// The runtime plus what runs and records turns: the session writer, the tool executor and the MCP tools.
    /// Choose the bus on the returned builder, then add the roles this process runs.
    /// </summary>
    public static EventBusBuilder AddSomaAgentEngine(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var bus = builder.AddSomaAgentRuntime();
        var services = builder.Services;
        services.AddOptions<ConversationOptions>().BindConfiguration(ConversationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<SessionTurns>();
        // A new session is granted to its tenant before it is stored (OpenFGA when configured, else the store).
        services.AddSomaAgentAccessChecks(builder.Configuration);
        services.TryAddSingleton<IDeadLetterHandler, DeadLetterRecorder>();
        builder.AddToolExecution();
        // Tools of configured MCP servers join the catalog once their servers answer (none by default).
        services.AddMcpTools();
        return bus;
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
}
