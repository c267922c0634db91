using Microsoft.Extensions.AI;
using SomaAgent.Runtime.Sessions;

namespace SomaAgent.Engine.Conversations;

/// <summary>
/// Keeps the token usage a model reports as a <c>usage</c> event per model call, so the OpenAI-compatible route
/// (and any client) can read what a turn consumed. Models that report nothing leave no event.
/// </summary>
internal static class TurnUsage
{
    /// <summary>Records what one model call consumed, when the model reported it.</summary>
    public static void RecordUsage(TurnEventWriter writer, UsageDetails? usage)
    {
        if (usage is null)
        {
            return;
        }
        var input = usage.InputTokenCount ?? 0;
        var output = usage.OutputTokenCount ?? 0;
        writer.Add(SessionEventTypes.Usage, new UsageEventData(input, output, usage.TotalTokenCount ?? input + output), SessionJsonContext.Wire.UsageEventData);
    }
}
