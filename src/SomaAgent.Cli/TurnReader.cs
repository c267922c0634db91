using System.Text;
using SomaAgent.Client;
using SomaAgent.Client.Sessions;

namespace SomaAgent.Cli;

/// <summary>How a session's turn ended, as its event stream told it: status, reason, the answer and the tools called.</summary>
internal sealed record TurnResult(Guid SessionId, string Status, string? Reason, string Answer, IReadOnlyList<string> ToolsCalled)
{
    public bool Completed => Status == SessionStatuses.Completed;
}

/// <summary>Reads a session's events until its turn ends, handing each to the caller as it arrives.</summary>
internal static class TurnReader
{
    public static async Task<TurnResult> ReadAsync(SomaAgentClient client, Guid sessionId, Func<SessionEvent, Task>? onEvent, CancellationToken cancellationToken)
    {
        var status = "";
        string? reason = null;
        var answer = new StringBuilder();
        var tools = new List<string>();
        await foreach (var item in client.Sessions.StreamEventsAsync(sessionId, cancellationToken: cancellationToken))
        {
            if (onEvent is not null)
            {
                await onEvent(item);
            }
            switch (item.Type)
            {
                case SessionEventTypes.MessageDelta:
                    answer.Append(item.Delta);
                    break;
                case SessionEventTypes.ToolCall:
                    tools.Add(item.Data.GetProperty("name").GetString() ?? "");
                    break;
                case SessionEventTypes.Status:
                    status = item.Data.GetProperty("status").GetString() ?? "";
                    reason = item.Data.TryGetProperty("reason", out var why) ? why.GetString() : null;
                    break;
            }
        }
        return new TurnResult(sessionId, status, reason, answer.ToString(), tools);
    }
}
