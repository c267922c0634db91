using System.Diagnostics.Metrics;
using SomaAgent.Runtime;
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
        using var failures = new FailedToolCalls();

        var id = await gateway.CreateSessionAsync(new { input = "What is 17 * 23?" }, Ct);
        var session = await gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(20));

        session.GetProperty("status").GetString().ShouldBe("completed");
        var result = session.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "tool.result").GetProperty("data");
        result.GetProperty("is_error").GetBoolean().ShouldBeTrue();
        result.GetProperty("result").GetProperty("error").GetString().ShouldBe("The tool executor sent no result within 2 s; the call was given up.");
        session.GetProperty("output").GetString().ShouldBe("The calculator tool failed: The tool executor sent no result within 2 s; the call was given up.");
        failures.Count("calculator", "timeout").ShouldBeGreaterThanOrEqualTo(1);
    }

    /// <summary>Counts <c>somaagent.tool.calls.failed</c> by tool and reason while it lives.</summary>
    private sealed class FailedToolCalls : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<(string?, string?), long> _counts = [];

        public FailedToolCalls()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RuntimeDiagnostics.Name && instrument.Name == "somaagent.tool.calls.failed")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? tool = null, reason = null;
                foreach (var tag in tags)
                {
                    tool = tag.Key == "tool" ? tag.Value as string : tool;
                    reason = tag.Key == "reason" ? tag.Value as string : reason;
                }
                lock (_counts)
                {
                    _counts[(tool, reason)] = _counts.GetValueOrDefault((tool, reason)) + value;
                }
            });
            _listener.Start();
        }

        public long Count(string tool, string reason)
        {
            lock (_counts)
            {
                return _counts.GetValueOrDefault((tool, reason));
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
