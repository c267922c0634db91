using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SomaAgent.Bench.Kafka;
using SomaAgent.Runtime.Sessions;
using SomaAgent.TestServers;

namespace SomaAgent.Bench.Faults;

/// <summary>
/// The fault run (see <see cref="FaultBenchOptions.Usage"/>): the production shape under conversation load while a
/// worker, Redis, PostgreSQL and a Kafka broker fail in turn, then a check of every session it left.
/// </summary>
internal static class FaultBench
{
    public const string Scenario = "faults";
    private const string Input = "What is 12*(3+4)?";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args is ["--help" or "-h"])
        {
            Console.WriteLine(FaultBenchOptions.Usage);
            return 0;
        }
        FaultBenchOptions options;
        try
        {
            options = FaultBenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"bench: {ex.Message}\n\n{FaultBenchOptions.Usage}");
            return 2;
        }

        using var interrupted = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupted.Cancel();
        };
        var ct = interrupted.Token;

        // Commits wait for their WAL, as in a deployment: a crash must not take back what PostgreSQL confirmed.
        await using var postgres = await PostgresProcess.StartAsync(ct, durableCommits: !options.AsyncCommits);
        await using var redis = await RedisProcess.StartAsync(ct);
        await using var kafka = await KafkaClusterProcess.StartAsync(options.Partitions, replication: 3, ct);
        var services = new BenchOptions
        {
            Store = StoreKind.Postgres,
            PostgresConnectionString = postgres.ConnectionString + ";Maximum Pool Size=100",
            Partitions = options.Partitions,
            TimeToFirstTokenMs = options.TimeToFirstTokenMs,
            TimePerTokenMs = options.TimePerTokenMs,
            ToolCallPauseMs = options.ToolCallPauseMs,
        };
        await using var gateway = await ServiceProcess.StartGatewayAsync(services, ct, redis.ConnectionString, kafka.BootstrapServers);
        await using var workers = await WorkerPool.StartAsync(gateway, options.Workers, ct);
        Console.WriteLine($"bench: faults; PostgreSQL pid {postgres.Pid}, Redis pid {redis.Pid}, mock cluster pid {kafka.Pid} ({kafka.BootstrapServers}), " +
            $"gateway pid {gateway.Pid}, Workers pids {string.Join(", ", workers.Running.Select(w => w.Pid))}; {options.Users} users for {options.LoadDuration.TotalSeconds:0} s, a fault every {options.FaultEvery.TotalSeconds:0} s");

        using var http = BenchHttp.CreateClient(gateway.BaseAddress, options.Users, gateway.ApiKey);
        var ledger = new SessionLedger();
        var profile = LoadProfile.Standard(options.Users, Input, "84", runTimeout: TimeSpan.FromSeconds(120)) with
        {
            Arrival = Arrival.Conversation,
            TurnsPerSession = options.Turns,
            ThinkMean = options.ThinkMean,
            Ramp = options.FaultEvery / 2,
            Resilient = true,
            Ledger = ledger,
            // Hops wait out the faults; only what the checker finds counts here.
            MaxStreamLag = TimeSpan.FromSeconds(60),
            MaxHopWait = TimeSpan.FromSeconds(120),
        };

        var started = Stopwatch.GetTimestamp();
        var load = new LoadRunner(http, profile).RunPhaseAsync(int.MaxValue, options.LoadDuration, ct);
        var faults = InjectFaultsAsync(options, postgres, redis, kafka, workers, started, ct);
        var phase = await load;
        var injected = await faults;
        Console.WriteLine($"bench: load done, {phase.Completed} turns completed, {phase.ErrorTotal} client errors; waiting up to {options.Drain.TotalSeconds:0} s for every turn to end");

        var reader = new SessionReader(http);
        var drainStarted = Stopwatch.GetTimestamp();
        await DrainAsync(reader, options.Drain, ct);
        var drained = Stopwatch.GetElapsedTime(drainStarted);

        var truncated = kafka.TruncatedPartitions(options.Partitions);
        var findings = await CheckAllAsync(reader, ledger, ct);
        var result = new FaultRunResult
        {
            Date = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            Command = $"eng/bench.sh {Scenario}{string.Concat(args.Select(a => " " + a))}",
            Machine = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}",
            Users = options.Users,
            Workers = options.Workers,
            Partitions = options.Partitions,
            Model = $"simulated: {options.TimeToFirstTokenMs} ms to first token, {options.TimePerTokenMs} ms per token, {options.ToolCallPauseMs} ms before a tool call",
            Postgres = options.AsyncCommits
                ? "PostgreSQL 15, synchronous_commit=off (a crash may lose confirmed commits), fsync=off"
                : "PostgreSQL 15, synchronous_commit=on, fsync=off (the operating system, which keeps written data, does not crash here)",
            LoadSeconds = Math.Round(phase.Elapsed.TotalSeconds, 1),
            FaultsInjected = injected,
            ClientTurnsCompleted = phase.Completed,
            ClientErrors = phase.Errors,
            DrainSeconds = Math.Round(drained.TotalSeconds, 1),
            Sessions = findings.Sessions,
            Turns = findings.Turns,
            TurnsCompleted = findings.TurnsCompleted,
            TurnsCancelled = findings.TurnsCancelled,
            FailedWithReason = findings.FailedWithReason,
            FailureReasons = [.. findings.Reasons.GroupBy(r => r).Select(g => new ReasonCount(g.Key, g.Count())).OrderByDescending(r => r.Count)],
            Events = findings.Events,
            UserMessages = findings.UserMessages,
            UserMessagesAccepted = ledger.Sessions.Values.Sum(e => e.Accepted),
            UserMessagesUnanswered = ledger.Sessions.Values.Sum(e => e.Unsure),
            TruncatedPartitions = truncated,
            Lost = findings.LostCount,
            Duplicated = findings.DuplicatedCount,
            Problems = findings.Problems,
        };

        Console.WriteLine();
        Console.Write(ToTable(result));
        var json = JsonSerializer.Serialize(result, FaultJsonContext.Default.FaultRunResult);
        Console.WriteLine(json);
        if (options.ResultPath is { } path)
        {
            await File.WriteAllTextAsync(path, json + "\n", CancellationToken.None);
            Console.WriteLine($"bench: result written to {path}");
        }
        if (!result.Passed)
        {
            gateway.KeepDataDirectory();
            Console.WriteLine($"bench: the services' logs are kept in {Path.GetDirectoryName(gateway.LogPath)}");
        }
        return result.Passed ? 0 : 1;
    }

    /// <summary>The four faults, one every <see cref="FaultBenchOptions.FaultEvery"/> from the load's start.</summary>
    private static async Task<List<InjectedFault>> InjectFaultsAsync(
        FaultBenchOptions options, PostgresProcess postgres, RedisProcess redis, KafkaClusterProcess kafka, WorkerPool workers, long started, CancellationToken ct)
    {
        var injected = new List<InjectedFault>();
        double Now() => Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1);
        async Task WaitForFault(int n)
        {
            var due = (options.FaultEvery * n) - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, ct);
            }
        }
        void Note(string fault, double at, string detail)
        {
            injected.Add(new InjectedFault(fault, at, detail));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bench: {at,6:0.0} s  {fault}: {detail}"));
        }

        await WaitForFault(1);
        var at = Now();
        var victim = workers.Running[0];
        var (victimName, victimPid) = (victim.Name, victim.Pid);
        await workers.KillOldestAsync();
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        var replacement = await workers.StartOneAsync(ct);
        Note("worker killed", at, $"{victimName} (pid {victimPid}) SIGKILLed under load; {replacement.Name} (pid {replacement.Pid}) started 5 s later and healthy at {Now():0.0} s");

        await WaitForFault(2);
        at = Now();
        var redisPid = redis.Pid;
        await redis.RestartAsync(TimeSpan.FromSeconds(2), ct);
        Note("redis restarted", at, $"redis-server (pid {redisPid}) SIGKILLed, an empty one (pid {redis.Pid}) on the same port 2 s later, ready at {Now():0.0} s");

        await WaitForFault(3);
        at = Now();
        var postgresPid = postgres.Pid;
        await postgres.RestartAsync(TimeSpan.FromSeconds(3), ct);
        Note("postgres restarted", at, $"PostgreSQL (postmaster pid {postgresPid}) stopped with pg_ctl -m immediate (no checkpoint, every connection cut), started again 3 s later (pid {postgres.Pid}), ready at {Now():0.0} s");

        await WaitForFault(4);
        at = Now();
        await kafka.SetBrokerDownAsync(2);
        await Task.Delay(TimeSpan.FromSeconds(10), ct);
        await kafka.SetBrokerUpAsync(2);
        Note("kafka broker stopped", at, $"broker 2 of 3 of the mock cluster (pid {kafka.Pid}) down for 10 s (connections cut, new ones refused, its partitions stalled), up at {Now():0.0} s");
        return injected;
    }

    /// <summary>Waits until no session has a turn queued or running, or <paramref name="limit"/> passes.</summary>
    private static async Task DrainAsync(SessionReader reader, TimeSpan limit, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var open = (await reader.ListAsync(ct)).Count(s => !SessionStatus.IsEnded(s.Status));
            if (open == 0)
            {
                return;
            }
            if (Stopwatch.GetElapsedTime(started) > limit)
            {
                Console.WriteLine($"bench: {open} sessions still have a turn that has not ended after {limit.TotalSeconds:0} s");
                return;
            }
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
    }

    /// <summary>Reads every session in the store and every one the clients were told of, and checks each.</summary>
    private static async Task<SessionFindings> CheckAllAsync(SessionReader reader, SessionLedger ledger, CancellationToken ct)
    {
        var total = new SessionFindings { Sessions = 0 };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var sessions = await reader.ListAsync(ct);
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (summary, token) =>
        {
            var record = await reader.ReadAsync(summary.Id, token);
            lock (total)
            {
                seen.Add(summary.Id);
                if (record is not null)
                {
                    total.Add(SessionCheck.Check(record, ledger.Sessions.GetValueOrDefault(summary.Id), ledger.SeenOf(summary.Id)));
                }
            }
        });
        foreach (var (id, told) in ledger.Sessions.Where(s => !seen.Contains(s.Key)))
        {
            total.Add(SessionCheck.Missing(id, told));
        }
        return total;
    }

    private static string ToTable(FaultRunResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"SomaAgent bench faults: {r.Users} users, {r.Workers} Workers processes, {r.Partitions} partitions, {r.Machine}");
        text.AppendLine(c, $"  load          {r.LoadSeconds:0} s, {r.ClientTurnsCompleted} turns completed as the clients saw them, {r.ClientErrors.Sum(e => e.Count)} client errors");
        foreach (var fault in r.FaultsInjected)
        {
            text.AppendLine(c, $"  fault {fault.AtSeconds,6:0.0} s {fault.Fault}: {fault.Detail}");
        }
        foreach (var error in r.ClientErrors)
        {
            text.AppendLine(c, $"  client error  {error.Count} x {error.Kind}; first: {error.Example}");
        }
        text.AppendLine(c, $"  drained in    {r.DrainSeconds:0.0} s");
        text.AppendLine(c, $"  checked       {r.Sessions} sessions, {r.Turns} turns ({r.TurnsCompleted} completed, {r.FailedWithReason} failed with a reason, {r.TurnsCancelled} cancelled), {r.Events} events, {r.UserMessages} user messages ({r.UserMessagesAccepted} accepted, {r.UserMessagesUnanswered} unanswered)");
        foreach (var reason in r.FailureReasons)
        {
            text.AppendLine(c, $"  failed        {reason.Count} x {reason.Reason}");
        }
        text.AppendLine(c, $"  kafka         {(r.TruncatedPartitions.Count == 0 ? "no partition truncated by the mock's retention" : string.Join("; ", r.TruncatedPartitions))}");
        text.AppendLine(c, $"  lost          {r.Lost}");
        text.AppendLine(c, $"  duplicated    {r.Duplicated}");
        foreach (var problem in r.Problems)
        {
            text.AppendLine(c, $"  problem       {problem}");
        }
        text.AppendLine(r.Passed ? "  check         PASSED: every turn ended, every log gapless without a repeat, every accepted message stored once" : "  check         FAILED");
        return text.ToString();
    }
}
