using System.Text.Json;
using SomaAgent.Bench;
using SomaAgent.Bench.Kafka;
using SomaAgent.Bench.Registry;
using SomaAgent.Bench.ToolCache;

// The load harness for the performance budget in DESIGN.md. Run it through eng/bench.sh; `--help` lists options.
// `tool-cache` as the first argument selects the tool result cache scenario instead (`tool-cache --help`),
// `kafka` the production shape over Kafka with Workers joining and leaving (`kafka --help`).
if (args is [ToolCacheBench.Scenario, .. var cacheArgs])
{
    return await ToolCacheBench.RunAsync(cacheArgs);
}
if (args is [RegistryBench.Scenario, .. var registryArgs])
{
    return await RegistryBench.RunAsync(registryArgs);
}
if (args is [SomaAgent.Bench.Statements.StatementsBench.Scenario, .. var statementArgs])
{
    return await SomaAgent.Bench.Statements.StatementsBench.RunAsync(statementArgs);
}
if (args is [KafkaBench.Scenario, .. var kafkaArgs])
{
    return await KafkaBench.RunAsync(kafkaArgs);
}
if (args is [SomaAgent.Bench.Streams.StreamsBench.Scenario, .. var streamArgs])
{
    return await SomaAgent.Bench.Streams.StreamsBench.RunAsync(streamArgs);
}
if (args is [SomaAgent.Bench.Faults.FaultBench.Scenario, .. var faultArgs])
{
    return await SomaAgent.Bench.Faults.FaultBench.RunAsync(faultArgs);
}
if (args is [KafkaClusterHost.Scenario, .. var clusterArgs])
{
    return await KafkaClusterHost.RunAsync(clusterArgs);
}

if (args is ["--help" or "-h"])
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"bench: {ex.Message}\n\n{BenchOptions.Usage}");
    return 2;
}

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
};

await using var redis = options.Redis == "private" ? await RedisProcess.StartAsync(interrupted.Token) : null;
await using var kafka = options.Workers > 0 ? await KafkaClusterProcess.StartAsync(options.Partitions, replication: 3, interrupted.Token) : null;
await using var gateway = options.Url is null ? await ServiceProcess.StartGatewayAsync(options, interrupted.Token, redis?.ConnectionString ?? options.Redis, kafka?.BootstrapServers) : null;
await using var workers = options.Workers > 0 ? await WorkerPool.StartAsync(gateway!, options.Workers, interrupted.Token) : null;
List<(string Name, int Pid)> backing = [];
if (kafka is not null)
{
    backing.Add(("kafka", kafka.Pid));
}
if (options.StorePid is { } storePid)
{
    backing.Add(("postgres", storePid));
}
if (redis is not null)
{
    backing.Add(("redis", redis.Pid));
}
var baseAddress = gateway?.BaseAddress ?? options.Url!;
var serverPid = gateway?.Pid ?? options.ServerPid;
var target = gateway is null ? $"gateway at {baseAddress}" : $"gateway child pid {gateway.Pid} at {baseAddress}";
Console.WriteLine($"bench: {target}; warm-up {options.Warmup.TotalSeconds:0.#} s, then up to {options.Runs} runs or {options.Duration.TotalSeconds:0.#} s with {options.Clients} clients");

// With --url, the running gateway's key comes from SOMAAGENT_KEY (as in the README's curl examples).
using var http = BenchHttp.CreateClient(baseAddress, options.Clients, gateway?.ApiKey ?? Environment.GetEnvironmentVariable("SOMAAGENT_KEY"));
var profile = options.Profile;
if (options.Scenario == "reads")
{
    // What the reads fetch: one finished session (its state, transcript and events), as a client polling it would.
    profile = profile with { ReadPath = $"v1/sessions/{await ReadTarget.CreateFinishedSessionAsync(http, interrupted.Token)}" };
}
await using var replicas = gateway is not null ? await ReplicaSet.StartAsync(options, gateway, http, workers, interrupted.Token) : null;
var runner = new LoadRunner(http, profile, replicas?.Clients);
if (options.Warmup > TimeSpan.Zero)
{
    var warmup = await runner.RunPhaseAsync(int.MaxValue, options.Warmup, interrupted.Token);
    Console.WriteLine($"bench: warm-up done, {warmup.Completed} runs, {warmup.ErrorTotal} errors (not counted)");
    // The load ramped up during the warm-up; the measured phase starts at full load.
    runner = new LoadRunner(http, profile with { Ramp = TimeSpan.Zero }, replicas?.Clients);
}

var loadBefore = BenchResult.ReadLoadAverage();
var serverBefore = serverPid is { } before ? ServiceProcess.ReadCpu(before) : (TimeSpan?)null;
var backingBefore = backing.Select(b => ProcessCpu.ReadTree(b.Pid)).ToList();
var replicasBefore = replicas is null ? [] : await replicas.CountAsync(runner.RunsByGateway);
var clientBefore = ServiceProcess.ReadCpu(Environment.ProcessId);
var measured = runner.RunPhaseAsync(options.Runs, options.Duration, interrupted.Token);
string? killed = null;
if (options.KillReplicaAfter is { } killAfter && replicas is not null)
{
    await Task.WhenAny(measured, Task.Delay(killAfter, interrupted.Token));
    if (!measured.IsCompleted)
    {
        killed = await replicas.KillOneOfEachAsync();
        Console.WriteLine($"bench: {killAfter.TotalSeconds:0} s in, SIGKILLed {killed}");
    }
}
var phase = await measured;
var serverCpu = serverPid is { } after ? ServiceProcess.ReadCpu(after) - serverBefore : null;
var replicasAfter = replicas is null ? [] : await replicas.CountAsync(runner.RunsByGateway);
var backingCpu = backing.Select((b, i) => (b.Name, ProcessCpu.ReadTree(b.Pid) - backingBefore[i]))
    .Concat(replicasAfter.Skip(1).Select(r => (r.Name, r.Cpu - (replicasBefore.FirstOrDefault(b => b.Name == r.Name)?.Cpu ?? TimeSpan.Zero))))
    .ToList();
List<ReplicaShare> shares = options.Gateways > 1 || options.Workers > 1 ? ReplicaSet.Shares(replicasBefore, replicasAfter) : [];
var clientCpu = ServiceProcess.ReadCpu(Environment.ProcessId) - clientBefore;
var load = (loadBefore, BenchResult.ReadLoadAverage());

var result = BenchResult.From(options, target, phase, serverCpu, backingCpu, clientCpu, load) with { Replicas = shares, ReplicaKilled = killed };
Console.WriteLine();
Console.Write(result.ToTable());
Console.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.BenchResult));
if (options.ReportDirectory is { } reports)
{
    await BenchReport.WriteAsync(reports, result, args);
    Console.WriteLine($"bench: report in {Path.Combine(reports, BenchReport.MarkdownFile)}");
}

if (workers is not null)
{
    await workers.DisposeAsync();
}
if (gateway is not null)
{
    await gateway.DisposeAsync();
    Console.WriteLine($"bench: gateway {gateway.StopSummary}");
}
return result.Errors == 0 ? 0 : 1;

