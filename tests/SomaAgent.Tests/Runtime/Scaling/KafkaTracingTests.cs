using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Infrastructure;
using static SomaAgent.Tests.Infrastructure.SpanRecorder;

namespace SomaAgent.Tests.Runtime.Scaling;

/// <summary>
/// One trace per turn across separate services: the gateway, a conversation-worker host and a tool-executor
/// host that share nothing but Kafka, so every parent link across a hop comes from the message headers.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaTracingTests(KafkaMockCluster kafka) : IDisposable
{
    private readonly SpanRecorder _spans = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gateway_conversation_worker_and_tool_executor_spans_of_a_turn_share_one_trace_with_parent_links_through_Kafka()
    {
        await using var deployment = new KafkaDeployment(kafka);
        var gateway = deployment.AddGateway();
        await deployment.StartWorkerAsync(conversations: true, tools: false);
        await deployment.StartWorkerAsync(conversations: false, tools: true);
        using var client = gateway.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { input = "What is 9*9?" }, Ct);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        (await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30))).GetProperty("status").GetString().ShouldBe("completed");

        var agent = await _spans.WaitForAsync(a => a.OperationName.StartsWith("invoke_agent", StringComparison.Ordinal) && Tag(a, "somaagent.session.id") == id.ToString(), Ct);
        var trace = agent.TraceId;
        var request = await _spans.WaitForAsync(a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == trace, Ct);
        request.DisplayName.ShouldBe("POST /v1/sessions");

        // gateway → conversation worker
        var turnPublish = await _spans.WaitForAsync(a => a.OperationName == "conversation.inbound publish" && a.TraceId == trace, Ct);
        turnPublish.ParentSpanId.ShouldBe(request.SpanId);
        var turnReceive = await _spans.WaitForAsync(a => a.SpanId == agent.ParentSpanId, Ct);
        turnReceive.OperationName.ShouldBe("conversation.inbound receive");
        turnReceive.ParentSpanId.ShouldBe(turnPublish.SpanId);
        Tag(turnReceive, "messaging.system").ShouldBe("kafka");

        // conversation worker → tool executor
        var toolPublish = await _spans.WaitForAsync(a => a.OperationName == "tool.requests publish" && a.TraceId == trace, Ct);
        _spans.HasAncestor(toolPublish, agent).ShouldBeTrue();
        var toolReceive = await _spans.WaitForAsync(a => a.OperationName == "tool.requests receive" && a.TraceId == trace, Ct);
        toolReceive.ParentSpanId.ShouldBe(toolPublish.SpanId);
        var tool = await _spans.WaitForAsync(a => a.OperationName == "execute_tool calculator" && a.TraceId == trace, Ct);
        _spans.HasAncestor(tool, toolReceive).ShouldBeTrue();

        // tool executor → conversation worker
        var resultPublish = await _spans.WaitForAsync(a => a.OperationName == "tool.results publish" && a.TraceId == trace, Ct);
        _spans.HasAncestor(resultPublish, toolReceive).ShouldBeTrue();
        var resultReceive = await _spans.WaitForAsync(a => a.OperationName == "tool.results receive" && a.TraceId == trace, Ct);
        resultReceive.ParentSpanId.ShouldBe(resultPublish.SpanId);
    }

    public void Dispose() => _spans.Dispose();
}
