using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Engine.Tools;

/// <summary>The tool-executor role: runs each requested call and publishes its result.</summary>
public sealed class ToolCallRequestedHandler(ToolExecutor executor, IEventBus bus) : IBusMessageHandler<ToolCallRequested>
{
    public async Task HandleAsync(ToolCallRequested message, CancellationToken cancellationToken)
    {
        var completed = await executor.ExecuteAsync(message, cancellationToken);
        await bus.PublishAsync(Topics.ToolResults, completed, cancellationToken);
    }
}
