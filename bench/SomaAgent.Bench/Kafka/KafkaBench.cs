using System.Text.Json;
using SomaAgent.TestServers;

namespace SomaAgent.Bench.Kafka;

/// <summary>
/// The production shape over Kafka, driven until it has done its runs: wrong answers, late streams, late
/// starts and tool results, and client errors must all be 0 while Workers processes join and leave under load.
/// </summary>
internal static class KafkaBench
{
    public const string Scenario = "kafka";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args is ["--help" or "-h"])
        {
            Console.WriteLine(KafkaBenchOptions.Usage);
            return 0;
        }
        KafkaBenchOptions options;
        try
        {
            options = KafkaBenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"bench: {ex.Message}\n\n{KafkaBenchOptions.Usage}");
            return 2;
        }

        using var interrupted = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupted.Cancel();
        };

        await using var kafka = new KafkaMockCluster();
        kafka.EnsureSomaAgentTopics(options.Partitions, options.Replication);
        var lateJoiner = options.LateJoin > TimeSpan.Zero ? 1 : 0;
        var services = await KafkaServices.StartAsync(options, kafka, options.Workers - lateJoiner, interrupted.Token);
        KafkaBenchResult result;
        try
        {
            Console.WriteLine($"bench: {Scenario}, mock cluster at {kafka.BootstrapServers}, gateway pid {services.Gateway.Pid}, run folder {services.Folder.FullName}");
            Console.WriteLine($"bench: up to {options.Runs} runs or {options.Duration.TotalSeconds:0} s with {options.Clients} clients; " +
                $"{(lateJoiner > 0 ? $"Workers process {options.Workers} joins after {options.LateJoin.TotalSeconds:0.#} s; " : "")}" +
                $"{(options.RestartEvery > TimeSpan.Zero ? $"a Workers process is replaced every {options.RestartEvery.TotalSeconds:0.#} s" : "no replacements")}");

            using var http = BenchHttp.CreateClient(services.Gateway.BaseAddress, options.Clients, apiKey: null);
            var runner = new LoadRunner(http, options.Profile);
            using var loadDone = CancellationTokenSource.CreateLinkedTokenSource(interrupted.Token);

            var serviceCpuBefore = services.Cpu;
            var benchCpuBefore = ServiceProcess.ReadCpu(Environment.ProcessId);
            var load = runner.RunPhaseAsync(options.Runs, options.Duration, interrupted.Token);
            var churn = ChurnAsync(options, services, lateJoiner > 0, loadDone.Token);
            PhaseResult phase;
            try
            {
                phase = await load;
            }
            finally
            {
                await loadDone.CancelAsync();
                await churn;
            }
            var serviceCpu = services.Cpu - serviceCpuBefore;
            var benchCpu = ServiceProcess.ReadCpu(Environment.ProcessId) - benchCpuBefore;
            result = KafkaBenchResult.From(options, services.WorkersStarted, phase, serviceCpu, benchCpu);
        }
        finally
        {
            await services.DisposeAsync();
        }

        Console.WriteLine();
        Console.Write(result.ToTable());
        Console.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.KafkaBenchResult));
        if (result.Passed)
        {
            services.Folder.Delete(recursive: true);
        }
        else
        {
            Console.WriteLine($"bench: the store and every process's log are kept in {services.Folder.FullName}");
        }
        return result.Passed ? 0 : 1;
    }

    /// <summary>The late joiner, then a rolling replacement every <see cref="KafkaBenchOptions.RestartEvery"/> until the load ends.</summary>
    private static async Task ChurnAsync(KafkaBenchOptions options, KafkaServices services, bool lateJoin, CancellationToken loadDone)
    {
        try
        {
            if (lateJoin)
            {
                await Task.Delay(options.LateJoin, loadDone);
                await services.StartWorkerAsync(loadDone);
            }
            if (options.RestartEvery <= TimeSpan.Zero)
            {
                return;
            }
            using var timer = new PeriodicTimer(options.RestartEvery);
            while (await timer.WaitForNextTickAsync(loadDone))
            {
                await services.StartWorkerAsync(loadDone);
                await services.StopOldestWorkerAsync();
            }
        }
        catch (OperationCanceledException) when (loadDone.IsCancellationRequested)
        {
        }
    }
}
