using SomaAgent.Runtime.Tools.BuiltIn;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Tools.Caching;

/// <summary>The tool result cache in process memory (HybridCache without Redis), through the real executor.</summary>
public sealed class ToolResultCacheTests
{
    private static readonly TimeSpan AnHour = TimeSpan.FromHours(1);

    [Fact]
    public async Task A_repeated_call_is_served_from_the_cache_without_running_the_tool()
    {
        var tool = ScriptedTool.Echo("lookup", cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool]);

        var first = await host.RunAsync(tool.Name, """{"x":"7"}""");
        var second = await host.RunAsync(tool.Name, """{"x":"7"}""");

        first.ResultJson.ShouldBe("\"7#1\"");
        second.ResultJson.ShouldBe("\"7#1\"");
        second.IsError.ShouldBeFalse();
        tool.Invocations.ShouldBe(1);
    }

    [Fact]
    public async Task Different_arguments_run_the_tool_again()
    {
        var tool = ScriptedTool.Echo("lookup", cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool]);

        await host.RunAsync(tool.Name, """{"x":"7"}""");
        var other = await host.RunAsync(tool.Name, """{"x":"8"}""");

        other.ResultJson.ShouldBe("\"8#2\"");
    }

    [Fact]
    public async Task Argument_order_and_spacing_do_not_change_the_entry()
    {
        var tool = ScriptedTool.Echo("lookup", cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool]);

        await host.RunAsync(tool.Name, """{"x":"7","y":"q"}""");
        var reordered = await host.RunAsync(tool.Name, """ { "y" : "q",  "x" : "7" } """);

        reordered.ResultJson.ShouldBe("\"7#1\"");
        tool.Invocations.ShouldBe(1);
    }

    [Fact]
    public async Task Tenants_never_share_a_cached_result()
    {
        var tool = ScriptedTool.Echo("lookup", cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool]);

        await host.RunAsync(tool.Name, """{"x":"7"}""", tenant: "tenant-a");
        var other = await host.RunAsync(tool.Name, """{"x":"7"}""", tenant: "tenant-b");

        other.ResultJson.ShouldBe("\"7#2\"");
    }

    [Fact]
    public async Task A_failed_call_is_not_cached()
    {
        var tool = new ScriptedTool("fails-once", (n, x, _) => n == 1 ? throw new ArgumentException("try again") : Task.FromResult($"{x}#{n}"), cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool]);

        var failed = await host.RunAsync(tool.Name, """{"x":"7"}""");
        var retried = await host.RunAsync(tool.Name, """{"x":"7"}""");
        var cached = await host.RunAsync(tool.Name, """{"x":"7"}""");

        failed.IsError.ShouldBeTrue();
        retried.ResultJson.ShouldBe("\"7#2\"");
        cached.ResultJson.ShouldBe("\"7#2\"");
        tool.Invocations.ShouldBe(2);
    }

    [Fact]
    public async Task A_tool_without_a_result_lifetime_runs_every_time()
    {
        var tool = ScriptedTool.Echo("live");
        await using var host = await ToolHost.StartAsync([tool.Tool]);

        await host.RunAsync(tool.Name, """{"x":"7"}""");
        var second = await host.RunAsync(tool.Name, """{"x":"7"}""");

        second.ResultJson.ShouldBe("\"7#2\"");
    }

    [Fact]
    public void The_clock_and_memory_tools_are_never_cached_and_the_calculator_is()
    {
        var tools = BuiltInTools.Create().ToDictionary(t => t.Name);

        tools[BuiltInTools.Calculator].ResultCacheDuration.ShouldBe(TimeSpan.FromHours(1));
        tools[BuiltInTools.Clock].ResultCacheDuration.ShouldBeNull();
        tools[BuiltInTools.Memory].ResultCacheDuration.ShouldBeNull();
    }

    [Fact]
    public async Task A_result_over_the_size_limit_is_returned_but_not_kept()
    {
        var tool = new ScriptedTool("big", (n, _, _) => Task.FromResult(new string('a', 100) + n), cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool], new Dictionary<string, string?>
        {
            ["SomaAgent:Tools:Cache:MaxResultBytes"] = "64",
        });

        var first = await host.RunAsync(tool.Name);
        var second = await host.RunAsync(tool.Name);

        first.ResultJson.ShouldEndWith("a1\"");
        second.ResultJson.ShouldEndWith("a2\"");
    }

    [Fact]
    public async Task A_disabled_cache_runs_every_call()
    {
        var tool = ScriptedTool.Echo("lookup", cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool], new Dictionary<string, string?>
        {
            ["SomaAgent:Tools:Cache:Enabled"] = "false",
        });

        await host.RunAsync(tool.Name, """{"x":"7"}""");
        var second = await host.RunAsync(tool.Name, """{"x":"7"}""");

        second.ResultJson.ShouldBe("\"7#2\"");
    }

    [Fact]
    public async Task An_expired_result_runs_the_tool_again()
    {
        var tool = ScriptedTool.Echo("short-lived", cacheFor: TimeSpan.FromMilliseconds(200));
        await using var host = await ToolHost.StartAsync([tool.Tool]);

        await host.RunAsync(tool.Name, """{"x":"7"}""");
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        var later = await host.RunAsync(tool.Name, """{"x":"7"}""");

        later.ResultJson.ShouldBe("\"7#2\"");
    }

    [Fact]
    public async Task Identical_calls_that_arrive_together_run_the_tool_once()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tool = new ScriptedTool("slow-lookup", async (n, x, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return $"{x}#{n}";
        }, cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool]);

        var calls = Enumerable.Range(0, 5).Select(_ => host.RunAsync(tool.Name, """{"x":"7"}""")).ToList();
        await Task.Delay(100, TestContext.Current.CancellationToken);
        release.SetResult();
        var results = await Task.WhenAll(calls);

        results.Select(r => r.ResultJson).ShouldAllBe(json => json == "\"7#1\"");
        tool.Invocations.ShouldBe(1);
    }

    [Fact]
    public async Task Hits_and_misses_are_counted_per_tool()
    {
        // A workload where each of 20 questions is asked 5 times: 80 % of the calls should be spared.
        var name = $"counted-{Guid.NewGuid():N}";
        var tool = ScriptedTool.Echo(name, cacheFor: AnHour);
        await using var host = await ToolHost.StartAsync([tool.Tool]);
        using var lookups = new RuntimeCounter("somaagent.tool.cache.lookups");

        for (var round = 0; round < 5; round++)
        {
            for (var question = 0; question < 20; question++)
            {
                await host.RunAsync(tool.Name, $$"""{"x":"{{question}}"}""");
            }
        }

        lookups.Sum(("tool", tool.Name), ("result", "hit")).ShouldBe(80);
        lookups.Sum(("tool", tool.Name), ("result", "miss")).ShouldBe(20);
        tool.Invocations.ShouldBe(20);
    }
}
