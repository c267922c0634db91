using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Runtime.Conversations;

/// <summary>One trace per turn: the HTTP request, the bus hops, the agent and the tool share one trace id.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TurnTracingTests(SharedGateway gateway) : IDisposable
{
    private readonly ConcurrentBag<Activity> _stopped = [];
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name.StartsWith("SomaAgent", StringComparison.Ordinal) || source.Name == "Microsoft.AspNetCore",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_turn_is_one_trace_from_the_request_through_the_agent_to_the_tool()
    {
        _listener.ActivityStopped = _stopped.Add;
        ActivitySource.AddActivityListener(_listener);
        using var client = gateway.App.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { input = "What is 9*9?" }, Ct);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        await gateway.App.WaitForEndAsync(id, Ct);

        var agent = await WaitForAsync(a => a.OperationName.StartsWith("invoke_agent", StringComparison.Ordinal) && Tag(a, "somaagent.session.id") == id.ToString());
        var tool = await WaitForAsync(a => a.OperationName == "execute_tool calculator" && Tag(a, "somaagent.session.id") == id.ToString());
        var request = _stopped.Single(a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == agent.TraceId);

        tool.TraceId.ShouldBe(agent.TraceId);
        request.DisplayName.ShouldBe("POST /v1/sessions");
        var publish = _stopped.Single(a => a.OperationName == "conversation.inbound publish" && a.TraceId == agent.TraceId);
        publish.Kind.ShouldBe(ActivityKind.Producer);
        publish.ParentSpanId.ShouldBe(request.SpanId);
        var receive = _stopped.Single(a => a.SpanId == agent.ParentSpanId);
        receive.OperationName.ShouldBe("conversation.inbound receive");
        receive.Kind.ShouldBe(ActivityKind.Consumer);
        Tag(agent, "gen_ai.request.model").ShouldBe("soma-simulated-1");
        Tag(agent, "somaagent.turn.status").ShouldBe("completed");
        Tag(tool, "gen_ai.tool.name").ShouldBe("calculator");
    }

    public void Dispose() => _listener.Dispose();

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();

    private async Task<Activity> WaitForAsync(Func<Activity, bool> match)
    {
        for (var i = 0; i < 100; i++)
        {
            if (_stopped.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            await Task.Delay(20, Ct);
        }
        throw new TimeoutException("The expected span never ended.");
    }
}
