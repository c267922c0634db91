using System.Globalization;
using System.Text;

namespace SomaAgent.Bench;

/// <summary>Everything one bench run reports; printed as a table and as one JSON line.</summary>
internal sealed record BenchResult
{
    public required string Scenario { get; init; }
    public required string Arrival { get; init; }
    public required string Store { get; init; }
    public required int Clients { get; init; }
    public required int TimePerTokenMs { get; init; }
    public required string Target { get; init; }
    public required int Cores { get; init; }
    public required double WarmupSeconds { get; init; }
    public required int RunsBudget { get; init; }
    public required double DurationCapSeconds { get; init; }
    public required bool CapReached { get; init; }
    public required double ElapsedSeconds { get; init; }
    public required int Runs { get; init; }
    public required int Errors { get; init; }
    public required int CutByCap { get; init; }
    public required double RunsPerSecond { get; init; }
    public required double EventsPerSecond { get; init; }
    public required double EventsPerRun { get; init; }
    public required LatencySummary CreateMs { get; init; }
    public required LatencySummary RunMs { get; init; }
    /// <summary>How long after its turn's final event was stored each stream closed.</summary>
    public required LatencySummary StreamLagMs { get; init; }
    /// <summary>Server CPU (user + system) per completed run in milliseconds; null when the server PID is unknown.</summary>
    public required double? ServerCpuMsPerRun { get; init; }
    /// <summary>Average cores the server kept busy over the measured phase.</summary>
    public required double? ServerCores { get; init; }
    /// <summary>
    /// Runs/s the server could sustain on all <see cref="Cores"/> at the measured CPU per run. Unlike the
    /// measured rate it holds up when the bench or other processes compete for the same cores.
    /// </summary>
    public required double? ServerCpuBoundRunsPerSecond { get; init; }
    /// <summary>CPU per run of the gateway's backing servers (PostgreSQL with its backends, Redis), by name.</summary>
    public required IReadOnlyList<BackingCpu> BackingCpu { get; init; }
    /// <summary>Gateway plus backing servers: what one run costs the machine, the bench aside.</summary>
    public required double? TotalServerCpuMsPerRun { get; init; }
    public required double ClientCpuMsPerRun { get; init; }
    public required double ClientCores { get; init; }
    /// <summary>The machine's 1-minute load average before and after the measured phase (/proc/loadavg).</summary>
    public required double LoadAverageBefore { get; init; }
    public required double LoadAverageAfter { get; init; }
    public required IReadOnlyList<ErrorCount> ErrorKinds { get; init; }
    public required IReadOnlyList<TimelinePoint> Timeline { get; init; }
    /// <summary>With several gateways or Workers processes: each one's share of the work and its CPU per unit of it.</summary>
    public IReadOnlyList<ReplicaShare> Replicas { get; init; } = [];
    /// <summary>The replicas SIGKILLed during the measured phase (--kill-replica-after), if any.</summary>
    public string? ReplicaKilled { get; init; }

    public static BenchResult From(
        BenchOptions options, string target, PhaseResult phase, TimeSpan? serverCpu, IReadOnlyList<(string Name, TimeSpan Cpu)> backing, TimeSpan clientCpu,
        (double Before, double After) load)
    {
        ArgumentNullException.ThrowIfNull(backing);
        var seconds = phase.Elapsed.TotalSeconds;
        var runs = Math.Max(phase.Completed, 1);
        var backingCpu = backing.Select(b => new BackingCpu(b.Name, Math.Round(b.Cpu.TotalMilliseconds / runs, 3))).ToList();
        return new BenchResult
        {
            Scenario = options.Scenario,
            Arrival = options.Arrival switch
            {
                SomaAgent.Bench.Arrival.Open => $"open {options.Rate:0}/s",
                SomaAgent.Bench.Arrival.Conversation => string.Create(CultureInfo.InvariantCulture,
                    $"conversations of {options.Clients} users, {options.TurnsPerSession} turns a session, think {options.ThinkMean.TotalSeconds:0.#} s"),
                _ => $"closed {options.Clients} clients",
            },
            Store = options.Url is not null ? "external" : options.Store == StoreKind.Sqlite ? "sqlite" : "postgres",
            Clients = options.Clients,
            TimePerTokenMs = options.TimePerTokenMs,
            Target = target,
            Cores = Environment.ProcessorCount,
            WarmupSeconds = options.Warmup.TotalSeconds,
            RunsBudget = options.Runs,
            DurationCapSeconds = options.Duration.TotalSeconds,
            CapReached = phase.CapReached,
            ElapsedSeconds = Math.Round(seconds, 3),
            Runs = phase.Completed,
            Errors = phase.ErrorTotal,
            CutByCap = phase.CutByCap,
            RunsPerSecond = Math.Round(phase.Completed / seconds, 1),
            EventsPerSecond = Math.Round(phase.Events / seconds, 1),
            EventsPerRun = Math.Round((double)phase.Events / runs, 2),
            CreateMs = phase.Create,
            RunMs = phase.Run,
            StreamLagMs = phase.StreamLag,
            ServerCpuMsPerRun = serverCpu is { } s ? Math.Round(s.TotalMilliseconds / runs, 3) : null,
            ServerCores = serverCpu is { } c ? Math.Round(c.TotalSeconds / seconds, 2) : null,
            ServerCpuBoundRunsPerSecond = serverCpu is { } b && b > TimeSpan.Zero ? Math.Round(Environment.ProcessorCount * runs / b.TotalSeconds, 0) : null,
            BackingCpu = backingCpu,
            TotalServerCpuMsPerRun = serverCpu is { } t ? Math.Round((t.TotalMilliseconds / runs) + backingCpu.Sum(b => b.CpuMsPerRun), 3) : null,
            ClientCpuMsPerRun = Math.Round(clientCpu.TotalMilliseconds / runs, 3),
            ClientCores = Math.Round(clientCpu.TotalSeconds / seconds, 2),
            LoadAverageBefore = load.Before,
            LoadAverageAfter = load.After,
            ErrorKinds = phase.Errors,
            Timeline = phase.Timeline,
        };
    }

    /// <summary>The 1-minute load average from /proc/loadavg.</summary>
    public static double ReadLoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    private static string Row(LatencySummary latency) =>
        string.Create(CultureInfo.InvariantCulture, $"{latency.P50,8:0.0} {latency.P95,8:0.0} {latency.P99,8:0.0} {latency.Max,8:0.0} {latency.Mean,8:0.0}");

    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"SomaAgent bench: scenario={Scenario} {Arrival} store={Store} time-per-token={TimePerTokenMs} ms, {Target}, {Cores} cores");
        text.AppendLine(c, $"  runs         {Runs} completed, {Errors} errors, {CutByCap} cut by the cap, in {ElapsedSeconds:0.00} s{(CapReached ? $" (duration cap {DurationCapSeconds:0} s reached)" : "")}");
        text.AppendLine(c, $"  throughput   {RunsPerSecond:0.0} runs/s, {EventsPerSecond:0} events/s ({EventsPerRun:0.0} events/run)");
        text.AppendLine(c, $"  latency ms   {"p50",8} {"p95",8} {"p99",8} {"max",8} {"mean",8}");
        if (Scenario == "reads")
        {
            text.AppendLine(c, $"    request    {Row(RunMs)}");
        }
        else
        {
            var conversation = Arrival.StartsWith("conversations", StringComparison.Ordinal);
            text.AppendLine(c, $"    {(conversation ? "start    " : "create   ")}  {Row(CreateMs)}{(conversation ? "   (the create, or the next message)" : "")}");
            text.AppendLine(c, $"    {(conversation ? "turn     " : "full run ")}  {Row(RunMs)}");
        }
        text.AppendLine(c, $"    stream lag {Row(StreamLagMs)}   (stream close after the turn's end)");
        text.AppendLine(ServerCpuMsPerRun is null
            ? "  server CPU   unknown (pass --server-pid with --url)"
            : string.Create(c, $"  server CPU   {ServerCpuMsPerRun:0.000} ms/run ({ServerCores:0.00} cores busy); CPU-bound ceiling on {Cores} cores ≈ {ServerCpuBoundRunsPerSecond:0} runs/s"));
        foreach (var backing in BackingCpu)
        {
            text.AppendLine(c, $"  {backing.Name,-12} {backing.CpuMsPerRun:0.000} ms/run");
        }
        if (BackingCpu.Count > 0 && TotalServerCpuMsPerRun is { } total)
        {
            text.AppendLine(c, $"  all servers  {total:0.000} ms/run");
        }
        foreach (var replica in Replicas)
        {
            text.AppendLine(c, $"  replica      {replica.Name,-12} {replica.Work,7} {replica.Unit} ({replica.SharePercent:0.0} % of its kind), {replica.CpuMsPerUnit:0.000} ms CPU per one");
        }
        if (ReplicaKilled is not null)
        {
            text.AppendLine(c, $"  killed       {ReplicaKilled} during the measured phase");
        }
        text.AppendLine(c, $"  bench CPU    {ClientCpuMsPerRun:0.000} ms/run ({ClientCores:0.00} cores busy)");
        text.AppendLine(c, $"  load average {LoadAverageBefore:0.00} before, {LoadAverageAfter:0.00} after (1 min; other processes compete when it exceeds the bench's own load)");
        foreach (var error in ErrorKinds)
        {
            text.AppendLine(c, $"  error        {error.Count} x {error.Kind}; first: {error.Example}");
        }
        return text.ToString();
    }
}

/// <summary>CPU per run of one backing server process tree.</summary>
internal sealed record BackingCpu(string Name, double CpuMsPerRun);
