using System.Diagnostics;
using System.Text.Json;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Tools.BuiltIn;

namespace SomaAgent.Bench.ToolCache;

/// <summary>
/// The tool result cache under a realistic mix: calculator calls with Zipf-distributed
/// arguments over many sessions and a few tenants, from concurrent workers, through the real
/// <c>ToolExecutor</c> and HybridCache of one or more in-process worker hosts, optionally sharing a private
/// redis-server. Bounded by the call count and a time cap; touches nothing but loopback.
/// </summary>
internal static class ToolCacheBench
{
    public const string Scenario = "tool-cache";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args is ["--help" or "-h"])
        {
            Console.WriteLine(ToolCacheOptions.Usage);
            return 0;
        }
        ToolCacheOptions options;
        try
        {
            options = ToolCacheOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"bench: {ex.Message}\n\n{ToolCacheOptions.Usage}");
            return 2;
        }

        using var interrupted = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupted.Cancel();
        };

        var hosts = options.HostCount;
        var plan = ToolCallPlan.Create(options.Seed, options.Calls, options.Distinct, options.Zipf, options.Sessions, options.Tenants, hosts, "tenant-");
        // Its own tenant and expressions: warms the JIT and both cache paths without pre-filling the measured keys.
        var warmup = ToolCallPlan.Create(options.Seed + 1, options.Warmup, options.Distinct, options.Zipf, Math.Min(options.Sessions, 200), 1, hosts, "warmup-tenant-");

        var data = Directory.CreateTempSubdirectory("somaagent-bench-cache-");
        try
        {
            await using var redis = options.Redis ? await RedisProcess.StartAsync(interrupted.Token) : null;
            var workers = new List<WorkerHost>(hosts);
            try
            {
                for (var i = 0; i < hosts; i++)
                {
                    workers.Add(await WorkerHost.StartAsync(i, data, redis?.ConnectionString, interrupted.Token));
                }
                var where = redis is null ? "memory cache only" : $"memory + private redis-server pid {redis.Pid} at {redis.ConnectionString}";
                Console.WriteLine($"bench: {Scenario}, {hosts} in-process worker host(s), {where}; warm-up {options.Warmup} calls, then {options.Calls} calls or {options.Duration.TotalSeconds:0.#} s with {options.Workers} workers");

                using var probe = new CacheLookupProbe();
                if (options.Warmup > 0)
                {
                    var (warm, _, _) = await RunPhaseAsync(warmup, workers, probe, options, interrupted.Token);
                    Console.WriteLine($"bench: warm-up done, {warm.Calls} calls, {warm.Hits} hits, {warm.Errors} errors (not counted)");
                }

                var loadBefore = BenchResult.ReadLoadAverage();
                var redisBefore = SecondLevelTotals(workers);
                var (recorder, elapsed, capReached) = await RunPhaseAsync(plan, workers, probe, options, interrupted.Token);
                var redisAfter = SecondLevelTotals(workers);
                var load = (loadBefore, BenchResult.ReadLoadAverage());

                var result = Summarize(options, plan, recorder, elapsed, capReached, load, redis is null ? null : (redisAfter.Hits - redisBefore.Hits, redisAfter.Misses - redisBefore.Misses));
                Console.WriteLine();
                Console.Write(result.ToTable());
                Console.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.ToolCacheResult));
                return result.Errors == 0 && result.Unattributed == 0 ? 0 : 1;
            }
            finally
            {
                foreach (var worker in workers)
                {
                    await worker.DisposeAsync();
                }
            }
        }
        finally
        {
            try
            {
                data.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp dir is not worth failing the run over.
            }
        }
    }

    private static (long Hits, long Misses) SecondLevelTotals(List<WorkerHost> hosts) =>
        (hosts.Sum(h => h.SecondLevel?.Snapshot.Hits ?? 0), hosts.Sum(h => h.SecondLevel?.Snapshot.Misses ?? 0));

    /// <summary>Runs the plan's calls in order from <c>--workers</c> concurrent callers until done or the time cap.</summary>
    private static async Task<(LookupRecorder Recorder, TimeSpan Elapsed, bool CapReached)> RunPhaseAsync(
        ToolCallPlan plan, List<WorkerHost> hosts, CacheLookupProbe probe, ToolCacheOptions options, CancellationToken cancellationToken)
    {
        var recorder = new LookupRecorder(plan.Calls.Count, hosts.Count);
        // The cap only stops handing out calls; calls under way finish, so none is cut or miscounted.
        using var cap = new CancellationTokenSource(options.Duration);
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        var callers = new Task[options.Workers];
        for (var w = 0; w < callers.Length; w++)
        {
            callers[w] = Task.Run(async () =>
            {
                int index;
                while (!cap.IsCancellationRequested && !cancellationToken.IsCancellationRequested
                       && (index = Interlocked.Increment(ref next)) < plan.Calls.Count)
                {
                    var call = plan.Calls[index];
                    var session = plan.Sessions[call.Session];
                    var request = new ToolCallRequested
                    {
                        SessionId = session.Id,
                        TenantId = session.TenantId,
                        CallId = $"call-{index}",
                        ToolName = BuiltInTools.Calculator,
                        ArgumentsJson = plan.Arguments[call.Expression],
                    };
                    var lookup = probe.Begin();
                    var start = Stopwatch.GetTimestamp();
                    var completed = await hosts[session.Host].Executor.ExecuteAsync(request, cancellationToken);
                    var ticks = Stopwatch.GetTimestamp() - start;
                    recorder.Record(session.Host, lookup.Hit, ticks, completed.IsError ? completed.ResultJson : null);
                }
            }, CancellationToken.None);
        }
        await Task.WhenAll(callers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        cancellationToken.ThrowIfCancellationRequested();
        return (recorder, elapsed, cap.IsCancellationRequested && recorder.Calls < plan.Calls.Count);
    }

    private static ToolCacheResult Summarize(
        ToolCacheOptions options, ToolCallPlan plan, LookupRecorder recorder, TimeSpan elapsed, bool capReached,
        (double Before, double After) load, (long Hits, long Misses)? redis)
    {
        var calls = Math.Max(recorder.Calls, 1);
        var uniqueKeys = plan.UniqueKeys;
        return new ToolCacheResult
        {
            Cache = redis is null ? "memory" : "redis",
            Hosts = options.HostCount,
            Workers = options.Workers,
            Cores = Environment.ProcessorCount,
            CallsPlanned = options.Calls,
            Distinct = options.Distinct,
            Zipf = options.Zipf,
            Tenants = options.Tenants,
            Sessions = options.Sessions,
            Seed = options.Seed,
            WarmupCalls = options.Warmup,
            CapReached = capReached,
            ElapsedSeconds = Math.Round(elapsed.TotalSeconds, 3),
            Calls = recorder.Calls,
            CallsPerSecond = Math.Round(recorder.Calls / elapsed.TotalSeconds, 0),
            Hits = recorder.Hits,
            Executions = recorder.Misses,
            HitRate = Math.Round((double)recorder.Hits / calls, 4),
            ExecutionsSaved = recorder.Hits,
            SavedPercent = Math.Round(100.0 * recorder.Hits / calls, 1),
            UniqueKeys = uniqueKeys,
            BestHitRate = Math.Round(1 - ((double)uniqueKeys / plan.Calls.Count), 4),
            RedisHits = redis?.Hits,
            RedisMisses = redis?.Misses,
            HitMs = recorder.HitLatency(),
            MissMs = recorder.MissLatency(),
            PerHost = recorder.PerHost(),
            Unattributed = recorder.Unattributed,
            Errors = recorder.Errors,
            FirstError = recorder.FirstError,
            LoadAverageBefore = load.Before,
            LoadAverageAfter = load.After,
        };
    }
}
