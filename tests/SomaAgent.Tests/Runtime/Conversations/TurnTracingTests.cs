using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using static SomaAgent.Tests.Infrastructure.SpanRecorder;

namespace SomaAgent.Tests.Runtime.Conversations;

/// <summary>One trace per turn: the HTTP request, the bus hops, the agent and the tool share one trace id.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TurnTracingTests(SharedGateway gateway) : IDisposable
{
    private readonly SpanRecorder _spans = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_turn_is_one_trace_from_the_request_through_the_agent_to_the_tool()
    {
        using var client = gateway.App.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { input = "What is 9*9?" }, Ct);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        await gateway.App.WaitForEndAsync(id, Ct);

        var agent = await _spans.WaitForAsync(a => a.OperationName.StartsWith("invoke_agent", StringComparison.Ordinal) && Tag(a, "somaagent.session.id") == id.ToString(), Ct);
        var tool = await _spans.WaitForAsync(a => a.OperationName == "execute_tool calculator" && Tag(a, "somaagent.session.id") == id.ToString(), Ct);
        var request = _spans.Stopped.Single(a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == agent.TraceId);

        tool.TraceId.ShouldBe(agent.TraceId);
        request.DisplayName.ShouldBe("POST /v1/sessions");
        var publish = _spans.Stopped.Single(a => a.OperationName == "conversation.inbound publish" && a.TraceId == agent.TraceId);
        publish.Kind.ShouldBe(ActivityKind.Producer);
        publish.ParentSpanId.ShouldBe(request.SpanId);
        var receive = _spans.Stopped.Single(a => a.SpanId == agent.ParentSpanId);
        receive.OperationName.ShouldBe("conversation.inbound receive");
        receive.Kind.ShouldBe(ActivityKind.Consumer);
        Tag(agent, "gen_ai.request.model").ShouldBe("soma-simulated-1");
        Tag(agent, "somaagent.turn.status").ShouldBe("completed");
        Tag(tool, "gen_ai.tool.name").ShouldBe("calculator");
    }

    public void Dispose() => _spans.Dispose();
}
