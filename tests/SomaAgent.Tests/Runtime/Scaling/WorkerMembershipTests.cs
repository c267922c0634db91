using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Scaling;

/// <summary>
/// Workers joining and leaving move the consumer group's partitions while turns run on the workers that
/// started them: what concerns a running turn, its tool results and its cancel, must still reach
/// the worker running it, and no client may get a different answer or a stream that outlives its turn.
/// </summary>
[Collection(KafkaCollection.Name)]
public sealed class WorkerMembershipTests(KafkaMockCluster kafka)
{
    private const string ToolQuestion = "What is 17 * 23?";
    private const string ToolAnswer = "391";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tool_results_reach_the_turns_waiting_for_them_after_their_partitions_moved_to_a_worker_that_joined()
    {
        // A turn waits 15 s for a result; the results must come long before, from whichever worker reads them.
        await using var deployment = new KafkaDeployment(kafka, new Dictionary<string, string?>
        {
            ["SomaAgent:Conversations:ToolResultTimeoutSeconds"] = "15",
            ["SomaAgent:Tools:Resilience:TotalTimeoutSeconds"] = "10",
        });
        var gateway = deployment.AddGateway();
        var first = await deployment.StartWorkerAsync(tools: false);
        // No tool executor yet: every turn claims, asks for the calculator and waits on the first worker.
        var sessions = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            sessions.Add(await gateway.CreateSessionAsync(new { input = ToolQuestion }, Ct));
        }
        foreach (var id in sessions)
        {
            (await deployment.OwnerOfAsync(id, Ct)).ShouldBeSameAs(first);
        }

        var joined = await deployment.StartWorkerAsync(tools: false);
        sessions.AddRange(await WaitUntilTakingTurnsAsync(deployment, gateway, joined, new { input = ToolQuestion }));
        await deployment.StartWorkerAsync(conversations: false);

        var ended = await Task.WhenAll(sessions.Select(id => gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(10))));
        ended.ShouldAllBe(s => s.GetProperty("status").GetString() == "completed" && s.GetProperty("output").GetString()!.Contains(ToolAnswer));
    }

    [Fact]
    public async Task A_cancel_reaches_the_running_turn_after_its_partition_moved_to_a_worker_that_joined()
    {
        // Turns sit 30 s before their first word: only a cancel that reaches them ends them sooner.
        await using var deployment = new KafkaDeployment(kafka, new Dictionary<string, string?> { ["SomaAgent:Models:Simulated:TimeToFirstTokenMs"] = "30000" });
        var gateway = deployment.AddGateway();
        var first = await deployment.StartWorkerAsync();
        var sessions = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            sessions.Add(await gateway.CreateSessionAsync(new { input = "Tell me something." }, Ct));
        }
        foreach (var id in sessions)
        {
            (await deployment.OwnerOfAsync(id, Ct)).ShouldBeSameAs(first);
        }

        var joined = await deployment.StartWorkerAsync();
        await WaitUntilTakingTurnsAsync(deployment, gateway, joined, new { input = "Tell me something else." });
        using var client = gateway.CreateClient();
        foreach (var id in sessions)
        {
            (await client.PostAsync($"/v1/sessions/{id}/cancel", null, Ct)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        var ended = await Task.WhenAll(sessions.Select(id => gateway.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(10))));
        ended.ShouldAllBe(s => s.GetProperty("status").GetString() == "cancelled");
    }

    [Fact]
    public async Task Under_load_while_workers_join_every_answer_holds_its_tool_result_in_time_and_every_stream_closes_with_its_turn()
    {
        const int Runs = 300;
        // A lost result would show as an answer without it after 20 s. A tool request on a partition that moves
        // to the joining worker legitimately waits for the hand-over: the old member gives the partition up at its
        // next heartbeat and the new one takes it at its own (the mock's interval is 3 s), so up to about 6 s.
        await using var deployment = new KafkaDeployment(kafka, new Dictionary<string, string?>
        {
            ["SomaAgent:Conversations:ToolResultTimeoutSeconds"] = "20",
            ["SomaAgent:Tools:Resilience:TotalTimeoutSeconds"] = "10",
        });
        var gateway = deployment.AddGateway();
        await deployment.StartWorkerAsync();
        using var client = gateway.CreateClient();
        var outcomes = new ConcurrentBag<RunOutcome>();
        var claimed = 0;

        var load = Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref claimed) <= Runs)
            {
                outcomes.Add(await RunOnceAsync(client));
            }
        }, Ct)));
        // A worker joins a third of the way in, another at two thirds: each join moves partitions under running turns.
        // (Workers leaving are WorkerFailoverTests' and the kafka benchmark's.)
        await WaitForAsync(() => outcomes.Count >= Runs / 3);
        await deployment.StartWorkerAsync();
        await WaitForAsync(() => outcomes.Count >= Runs * 2 / 3);
        await deployment.StartWorkerAsync();
        await load.WaitAsync(TimeSpan.FromSeconds(120), Ct);

        outcomes.Count.ShouldBe(Runs);
        outcomes.Where(o => o.Error is not null).Select(o => o.Error).ShouldBeEmpty();
        outcomes.Where(o => !o.Answer.Contains(ToolAnswer, StringComparison.Ordinal)).Select(o => o.Answer).ShouldBeEmpty();
        outcomes.Where(o => o.ToolWait > TimeSpan.FromSeconds(10)).Select(o => o.ToolWait).ShouldBeEmpty();
        outcomes.Where(o => o.StreamLag > TimeSpan.FromSeconds(1)).Select(o => o.StreamLag).ShouldBeEmpty();
    }

    /// <summary>One client's run: create the session, stream it to its end, and judge what came back.</summary>
    private static async Task<RunOutcome> RunOnceAsync(HttpClient client)
    {
        try
        {
            using var created = await client.PostAsJsonAsync("/v1/sessions", new { input = ToolQuestion }, Ct);
            if (created.StatusCode != HttpStatusCode.Created)
            {
                return RunOutcome.Failed($"create answered {(int)created.StatusCode}");
            }
            var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString();
            using var stream = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct);
            var events = await SseReader.ReadAllAsync(await stream.Content.ReadAsStreamAsync(Ct), Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
            var closedAt = DateTime.UtcNow;
            var last = events[^1];
            if (last.Type != "status" || last.Data.GetProperty("data").GetProperty("status").GetString() != "completed")
            {
                return RunOutcome.Failed($"session {id} ended with {last.Type} {last.Data}");
            }
            var answer = events.Last(e => e.Type == "message.completed").Data.GetProperty("data").GetProperty("content").GetString() ?? "";
            var toolWait = CreatedAt(events.First(e => e.Type == "tool.result")) - CreatedAt(events.First(e => e.Type == "tool.call"));
            return new RunOutcome(answer, toolWait, closedAt - CreatedAt(last), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or JsonException)
        {
            return RunOutcome.Failed(ex.Message);
        }
    }

    private static DateTime CreatedAt(SseEvent item) => item.Data.GetProperty("created_at").GetDateTime().ToUniversalTime();

    /// <summary>
    /// Creates sessions until one is claimed by <paramref name="worker"/>, which shows the group has given it
    /// partitions; returns the sessions created.
    /// </summary>
    private static async Task<List<Guid>> WaitUntilTakingTurnsAsync(KafkaDeployment deployment, GatewayApp gateway, IHost worker, object request)
    {
        var created = new List<Guid>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var id = await gateway.CreateSessionAsync(request, Ct);
            created.Add(id);
            if (await deployment.OwnerOfAsync(id, Ct) == worker)
            {
                return created;
            }
            await Task.Delay(200, Ct);
        }
        throw new TimeoutException("The worker that joined was given no partitions within 30 s.");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "the load stopped making progress");
            await Task.Delay(20, Ct);
        }
    }

    private sealed record RunOutcome(string Answer, TimeSpan ToolWait, TimeSpan StreamLag, string? Error)
    {
        public static RunOutcome Failed(string error) => new("", TimeSpan.Zero, TimeSpan.Zero, error);
    }
}
