using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Scaling;

/// <summary>
/// One trace per turn across separate services: the gateway, a conversation-worker host and a tool-executor
/// host that share nothing but Kafka, so every parent link across a hop comes from the message headers.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaTracingTests(KafkaMockCluster kafka) : IDisposable
{
    private readonly ConcurrentBag<Activity> _stopped = [];
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name.StartsWith("SomaAgent", StringComparison.Ordinal) || source.Name == "Microsoft.AspNetCore",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Gateway_conversation_worker_and_tool_executor_spans_of_a_turn_share_one_trace_with_parent_links_through_Kafka()
    {
        _listener.ActivityStopped = _stopped.Add;
        ActivitySource.AddActivityListener(_listener);
        await using var deployment = new KafkaDeployment(kafka);
        var gateway = deployment.AddGateway();
        await deployment.StartWorkerAsync(conversations: true, tools: false);
        await deployment.StartWorkerAsync(conversations: false, tools: true);
        using var client = gateway.CreateClient();

        using var response = await client.PostAsJsonAsync("/v1/sessions", new { input = "What is 9*9?" }, Ct);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        (await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(30))).GetProperty("status").GetString().ShouldBe("completed");

        var agent = await WaitForAsync(a => a.OperationName.StartsWith("invoke_agent", StringComparison.Ordinal) && Tag(a, "somaagent.session.id") == id.ToString());
        var trace = agent.TraceId;
        var request = await WaitForAsync(a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == trace);
        request.DisplayName.ShouldBe("POST /v1/sessions");

        // gateway → conversation worker
        var turnPublish = await WaitForAsync(a => a.OperationName == "conversation.inbound publish" && a.TraceId == trace);
        turnPublish.ParentSpanId.ShouldBe(request.SpanId);
        var turnReceive = await WaitForAsync(a => a.SpanId == agent.ParentSpanId);
        turnReceive.OperationName.ShouldBe("conversation.inbound receive");
        turnReceive.ParentSpanId.ShouldBe(turnPublish.SpanId);
        Tag(turnReceive, "messaging.system").ShouldBe("kafka");

        // conversation worker → tool executor
        var toolPublish = await WaitForAsync(a => a.OperationName == "tool.requests publish" && a.TraceId == trace);
        HasAncestor(toolPublish, agent).ShouldBeTrue();
        var toolReceive = await WaitForAsync(a => a.OperationName == "tool.requests receive" && a.TraceId == trace);
        toolReceive.ParentSpanId.ShouldBe(toolPublish.SpanId);
        var tool = await WaitForAsync(a => a.OperationName == "execute_tool calculator" && a.TraceId == trace);
        HasAncestor(tool, toolReceive).ShouldBeTrue();

        // tool executor → conversation worker
        var resultPublish = await WaitForAsync(a => a.OperationName == "tool.results publish" && a.TraceId == trace);
        HasAncestor(resultPublish, toolReceive).ShouldBeTrue();
        var resultReceive = await WaitForAsync(a => a.OperationName == "tool.results receive" && a.TraceId == trace);
        resultReceive.ParentSpanId.ShouldBe(resultPublish.SpanId);
    }

    public void Dispose() => _listener.Dispose();

    private static string? Tag(Activity activity, string name) => activity.GetTagItem(name)?.ToString();

    /// <summary>True when <paramref name="ancestor"/> is on the span's parent chain among the recorded spans.</summary>
    private bool HasAncestor(Activity span, Activity ancestor)
    {
        var bySpan = _stopped.Where(a => a.TraceId == span.TraceId).GroupBy(a => a.SpanId).ToDictionary(g => g.Key, g => g.First());
        for (var current = span; bySpan.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            if (parent.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }
        return false;
    }

    private async Task<Activity> WaitForAsync(Func<Activity, bool> match)
    {
        for (var i = 0; i < 250; i++)
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
