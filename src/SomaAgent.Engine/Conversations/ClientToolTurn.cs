using System.Text.Json;
using Microsoft.Extensions.AI;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Engine.Conversations;

/// <summary>
/// The turn runner's hook for a session's client settings (<see cref="ClientModelOptions"/>): offers the client's
/// tools to the model as declarations only (nothing the executor could run), and ends the turn when the model
/// calls only those, so the client runs them and answers with its next request.
/// </summary>
internal static class ClientToolTurn
{
    public static void ApplyTo(ClientModelOptions? client, ChatOptions options)
    {
        if (client is null)
        {
            return;
        }
        options.Tools = [.. options.Tools ?? [], .. client.Tools.Select(t => AIFunctionFactory.CreateDeclaration(t.Name, t.Description, t.Parameters))];
        options.ToolMode = client.RequiredTool is { } required ? ChatToolMode.RequireSpecific(required)
            : client.ToolChoice switch
            {
                ClientModelOptions.ToolChoiceNone => ChatToolMode.None,
                ClientModelOptions.ToolChoiceRequired => ChatToolMode.RequireAny,
                _ => options.ToolMode,
            };
        options.MaxOutputTokens = client.MaxOutputTokens ?? options.MaxOutputTokens;
        options.Temperature = client.Temperature ?? options.Temperature;
    }

    /// <summary>
    /// True when the calls include client tools and none of the session's own tools: the step is the client's, and
    /// every call goes back to it (as OpenAI returns whatever the model called). A step that also calls the
    /// session's own tools runs through the executor as usual; the gateway never opens a session with both kinds.
    /// </summary>
    public static bool IsClientStep(ClientModelOptions? client, List<FunctionCallContent> calls, List<string> sessionTools) =>
        client is { Tools.Count: > 0 }
        && calls.Exists(c => client.Tools.Any(t => t.Name == c.Name))
        && !calls.Exists(c => sessionTools.Contains(c.Name));

    /// <summary>Records the assistant message with its calls and the <c>tool.call</c> events, then ends the turn for the client.</summary>
    public static async Task EndTurnAsync(TurnEventWriter writer, List<FunctionCallContent> calls, string text)
    {
        var stored = calls.Select(c => new StoredToolCall(c.CallId, c.Name,
            JsonSerializer.SerializeToElement(c.Arguments ?? new Dictionary<string, object?>(), ToolJson.Options))).ToList();
        writer.AddToolCallStep(text, stored);
        await writer.SetStatusAsync(SessionStatus.Completed, TurnEndReasons.ToolCalls);
    }
}
