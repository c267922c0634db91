using System.Text.Json;
using SomaAgent.Tests.AppHost;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Bench;

/// <summary>
/// The load harness (bench/SomaAgent.Bench) in its smoke mode, a few seconds at small load against a gateway it starts
/// as a child process, as <c>eng/bench.sh --smoke</c> runs it: so a change that breaks the harness fails here, not on
/// the day someone measures. Run alone: it loads both cores for a few seconds, which would slow the tests beside it.
/// </summary>
[Collection(LoadHarnessCollection.Name)]
public sealed class LoadHarnessSmokeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_smoke_run_of_agent_runs_completes_without_errors_and_writes_its_reports()
    {
        var (result, report) = await RunSmokeAsync("--scenario", "run");

        result.GetProperty("runs").GetInt32().ShouldBeGreaterThan(0);
        result.GetProperty("errors").GetInt32().ShouldBe(0, result.GetRawText());
        result.GetProperty("events_per_run").GetDouble().ShouldBeGreaterThanOrEqualTo(10);
        result.GetProperty("server_cpu_ms_per_run").GetDouble().ShouldBeGreaterThan(0);
        result.GetProperty("client_cpu_ms_per_run").GetDouble().ShouldBeGreaterThan(0);
        result.GetProperty("timeline").GetArrayLength().ShouldBeGreaterThan(0);
        report.ShouldContain("xychart-beta");
        report.ShouldContain("full run");
    }

    [Fact]
    public async Task A_smoke_run_of_plain_reads_at_a_fixed_rate_counts_requests_not_agent_runs()
    {
        // Room for 50 requests in flight: on a busy CI machine a cold gateway's first reads take tens of milliseconds,
        // and an arrival that finds every client busy counts as an error.
        var (result, report) = await RunSmokeAsync("--scenario", "reads", "--arrival", "open", "--rate", "100", "--clients", "50");

        result.GetProperty("arrival").GetString().ShouldBe("open 100/s");
        result.GetProperty("runs").GetInt32().ShouldBeGreaterThan(100);
        result.GetProperty("errors").GetInt32().ShouldBe(0, result.GetRawText());
        result.GetProperty("events_per_run").GetDouble().ShouldBe(0);
        report.ShouldContain("request");
    }

    [Fact]
    public async Task A_smoke_run_of_conversations_runs_every_turn_of_multi_turn_sessions_with_think_time()
    {
        var (result, _) = await RunSmokeAsync("--arrival", "conversation", "--turns", "3", "--think", "0.2");

        result.GetProperty("arrival").GetString().ShouldBe("conversations of 4 users, 3 turns a session, think 0.2 s");
        result.GetProperty("errors").GetInt32().ShouldBe(0, result.GetRawText());
        // Each of the 4 users ends a 3-turn session within the 4 s (about 0.2 s of thought per turn): later turns ran
        // as messages posted to a session and streamed from its last event.
        result.GetProperty("runs").GetInt32().ShouldBeGreaterThan(12);
        result.GetProperty("run_ms").GetProperty("mean").GetDouble().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_smoke_fault_run_kills_and_restarts_every_server_kind_under_load_and_loses_nothing()
    {
        var folder = Directory.CreateTempSubdirectory("somaagent-bench-faults-").FullName;
        var resultPath = Path.Combine(folder, "faults.json");

        var (exitCode, output) = await CommandLine.RunAsync("dotnet", AppModel.RepositoryRoot, TimeSpan.FromMinutes(4), [BenchDll, "faults", "--smoke", "--result", resultPath]);

        exitCode.ShouldBe(0, output);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(resultPath, Ct));
        var result = json.RootElement;
        result.GetProperty("faults_injected").EnumerateArray().Select(f => f.GetProperty("fault").GetString())
            .ShouldBe(["worker killed", "redis restarted", "postgres restarted", "kafka broker stopped"]);
        result.GetProperty("lost").GetInt32().ShouldBe(0, output);
        result.GetProperty("duplicated").GetInt32().ShouldBe(0, output);
        result.GetProperty("truncated_partitions").GetArrayLength().ShouldBe(0);
        result.GetProperty("turns_completed").GetInt32().ShouldBeGreaterThan(0);
        result.GetProperty("turns").GetInt32().ShouldBe(
            result.GetProperty("turns_completed").GetInt32() + result.GetProperty("failed_with_reason").GetInt32() + result.GetProperty("turns_cancelled").GetInt32());
        result.GetProperty("command").GetString().ShouldBe($"eng/bench.sh faults --smoke --result {resultPath}");
    }

    [Fact]
    public async Task A_smoke_run_of_following_streams_delivers_every_event_of_a_turn_to_every_open_stream()
    {
        var (exitCode, output) = await CommandLine.RunAsync("dotnet", AppModel.RepositoryRoot, TimeSpan.FromMinutes(2), [BenchDll, "streams", "--sessions", "200", "--idle", "2", "--gateway-dll", GatewayDll]);

        exitCode.ShouldBe(0, output);
        using var json = JsonDocument.Parse(output.Split('\n').Last(line => line.StartsWith('{')));
        var result = json.RootElement;
        result.GetProperty("open_after_idle").GetInt32().ShouldBe(200);
        result.GetProperty("streams_with_turn").GetInt32().ShouldBe(200);
        result.GetProperty("events_received").GetInt64().ShouldBe(result.GetProperty("events_stored").GetInt64());
        result.GetProperty("idle_rss_after_mb").GetDouble().ShouldBeGreaterThan(0);
        result.GetProperty("delivery_ms").GetProperty("p95").GetDouble().ShouldBeGreaterThan(0);
    }

    /// <summary>The build the tests run in (bin/&lt;configuration&gt;/net10.0).</summary>
    private static string Configuration => new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    private static string BenchDll => Path.Combine(AppModel.RepositoryRoot, "bench", "SomaAgent.Bench", "bin", Configuration, "net10.0", "SomaAgent.Bench.dll");

    private static string GatewayDll => Path.Combine(AppModel.RepositoryRoot, "src", "SomaAgent.Gateway", "bin", Configuration, "net10.0", "SomaAgent.Gateway.dll");

    private static async Task<(JsonElement Result, string Report)> RunSmokeAsync(params string[] scenario)
    {
        var reports = Directory.CreateTempSubdirectory("somaagent-bench-smoke-").FullName;

        var (exitCode, output) = await CommandLine.RunAsync("dotnet", AppModel.RepositoryRoot, [BenchDll, "--smoke", "--gateway-dll", GatewayDll, "--report", reports, .. scenario]);

        exitCode.ShouldBe(0, output);
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(reports, "bench-result.json"), Ct));
        return (json.RootElement.Clone(), await File.ReadAllTextAsync(Path.Combine(reports, "bench-report.md"), Ct));
    }
}

/// <summary>The load harness's tests run with no other test beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadHarnessCollection
{
    public const string Name = "load harness";
}
