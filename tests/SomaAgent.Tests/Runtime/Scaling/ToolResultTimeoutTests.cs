using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Scaling;

/// <summary>A tool call that gets no result is never a silent, different answer: events, answer and metrics say so.</summary>
[Collection(KafkaCollection.Name)]
public sealed class ToolResultTimeoutTests(KafkaMockCluster kafka)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_tool_call_without_a_result_in_time_ends_in_an_error_result_an_answer_that_says_so_and_a_counted_timeout()
    {
        await using var deployment = new KafkaDeployment(kafka, new Dictionary<string, string?>
        {
            ["SomaAgent:Conversations:ToolResultTimeoutSeconds"] = "2",
            ["SomaAgent:Tools:Resilience:TotalTimeoutSeconds"] = "1",
        });
        var gateway = deployment.AddGateway();
        // A conversation worker and no tool executor anywhere: the call can only time out.
        await deployment.StartWorkerAsync(tools: false);
        using var failures = new RuntimeCounter("somaagent.tool.calls.failed");

        var id = await gateway.CreateSessionAsync(new { input = "What is 17 * 23?" }, Ct);
        var session = await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(20));

        session.GetProperty("status").GetString().ShouldBe("completed");
        var result = session.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "tool.result").GetProperty("data");
        result.GetProperty("is_error").GetBoolean().ShouldBeTrue();
        result.GetProperty("result").GetProperty("error").GetString().ShouldBe("The tool executor sent no result within 2 s; the call was given up.");
        session.GetProperty("output").GetString().ShouldBe("The calculator tool failed: The tool executor sent no result within 2 s; the call was given up.");
        failures.Sum(("tool", "calculator"), ("reason", "timeout")).ShouldBeGreaterThanOrEqualTo(1);
    }
}
