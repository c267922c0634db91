using System.Diagnostics;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Tools.Caching;

/// <summary>Redis as the shared second level of the tool result cache (a real redis-server).</summary>
[Collection(RedisCollection.Name)]
public sealed class ToolResultRedisCacheTests(RedisServer redis)
{
    private static readonly TimeSpan AnHour = TimeSpan.FromHours(1);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Dictionary<string, string?> WithRedis => new() { ["ConnectionStrings:redis"] = redis.ConnectionString };

    [Fact]
    public async Task A_result_one_worker_stored_is_served_to_another_without_running_the_tool()
    {
        // Two hosts are two workers: separate memory, one Redis.
        var tenant = $"tenant-{Guid.NewGuid():N}";
        var name = $"lookup-{Guid.NewGuid():N}";
        var first = ScriptedTool.Echo(name, cacheFor: AnHour);
        var second = ScriptedTool.Echo(name, cacheFor: AnHour);
        await using var workerA = await ToolHost.StartAsync([first.Tool], WithRedis);
        await using var workerB = await ToolHost.StartAsync([second.Tool], WithRedis);

        var stored = await workerA.RunAsync(name, """{"x":"7"}""", tenant);
        // HybridCache may finish its write to the second level just after the call returns.
        await WaitForKeysAsync($"somaagent:tool-result:{name}:*", 1);
        var served = await workerB.RunAsync(name, """{"x":"7"}""", tenant);

        stored.ResultJson.ShouldBe("\"7#1\"");
        served.ResultJson.ShouldBe("\"7#1\"");
        second.Invocations.ShouldBe(0);
    }

    [Fact]
    public async Task Results_are_stored_in_redis_under_the_somaagent_prefix_by_tool()
    {
        var name = $"lookup-{Guid.NewGuid():N}";
        var tool = ScriptedTool.Echo(name, cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool], WithRedis);

        await host.RunAsync(name, """{"x":"7"}""");
        await host.RunAsync(name, """{"x":"8"}""");

        // HybridCache may finish the second-level write after the call has answered: give it a moment on a busy machine.
        var keys = await redis.KeysAsync($"somaagent:tool-result:{name}:*");
        for (var wait = 0; keys.Count < 2 && wait < 50; wait++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            keys = await redis.KeysAsync($"somaagent:tool-result:{name}:*");
        }
        keys.Count.ShouldBe(2);
        keys.ShouldAllBe(key => key.Length == $"somaagent:tool-result:{name}:".Length + 64);
    }

    [Fact]
    public async Task Tools_keep_answering_when_redis_is_unreachable()
    {
        var tool = ScriptedTool.Echo("lookup", cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool], new Dictionary<string, string?>
        {
            // Nothing listens there: every Redis read and write fails.
            ["ConnectionStrings:redis"] = $"127.0.0.1:{RedisServer.FreeLoopbackPort()},connectTimeout=500",
        });
        var started = Stopwatch.GetTimestamp();

        var first = await host.RunAsync(tool.Name, """{"x":"7"}""");
        var second = await host.RunAsync(tool.Name, """{"x":"8"}""");
        var repeated = await host.RunAsync(tool.Name, """{"x":"7"}""");

        first.ResultJson.ShouldBe("\"7#1\"");
        second.ResultJson.ShouldBe("\"8#2\"");
        repeated.ResultJson.ShouldBe("\"7#1\"");
        Stopwatch.GetElapsedTime(started).ShouldBeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_gateway_with_a_redis_connection_string_caches_calculator_results_in_redis()
    {
        var before = await redis.KeysAsync("somaagent:tool-result:calculator:*");
        await using var app = new GatewayApp(settings: WithRedis);
        // An expression no other test asks, so its entry is new whatever ran before on this server.
        var expression = $"{(uint)Guid.NewGuid().GetHashCode() % 900_000_000 + 100_000_000}*(3+4)";

        var id = await app.CreateSessionAsync(new { input = $"What is {expression}?" }, Ct);
        var session = await app.WaitForEndAsync(id, Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
        // HybridCache may finish its write to the second level just after the call returns.
        var added = 0;
        for (var i = 0; i < 100 && added == 0; i++)
        {
            added = (await redis.KeysAsync("somaagent:tool-result:calculator:*")).Except(before).Count();
            if (added == 0)
            {
                await Task.Delay(50, Ct);
            }
        }
        added.ShouldBe(1);
    }

    /// <summary>Polls Redis (5 s at most) until <paramref name="count"/> keys match the pattern.</summary>
    private async Task WaitForKeysAsync(string pattern, int count)
    {
        for (var i = 0; i < 100 && (await redis.KeysAsync(pattern)).Count < count; i++)
        {
            await Task.Delay(50, Ct);
        }
        (await redis.KeysAsync(pattern)).Count.ShouldBe(count);
    }
}
