using System.Globalization;
using System.Text;

namespace SomaAgent.Bench.Kafka;

/// <summary>Everything one kafka scenario run reports; printed as a table and as one JSON line.</summary>
internal sealed record KafkaBenchResult
{
    public required int Clients { get; init; }
    public required int Workers { get; init; }
    public required int WorkersStarted { get; init; }
    public required int Partitions { get; init; }
    public required int Replication { get; init; }
    public required int FetchWaitMs { get; init; }
    public required string Store { get; init; }
    public required int Cores { get; init; }
    public required int RunsBudget { get; init; }
    public required bool CapReached { get; init; }
    public required double ElapsedSeconds { get; init; }
    public required int Runs { get; init; }
    public required double RunsPerSecond { get; init; }
    public required double EventsPerRun { get; init; }
    /// <summary>Runs that completed with an answer lacking the expected text (the tool result).</summary>
    public required int WrongAnswers { get; init; }
    /// <summary>Runs whose stream closed more than 1 s after their turn ended.</summary>
    public required int LateStreams { get; init; }
    /// <summary>Runs whose tool result came more than 10 s after its call (a lost message a handover rescued).</summary>
    public required int LateToolResults { get; init; }
    /// <summary>Runs whose turn started running more than 10 s after it was created (a lost request a sweep rescued).</summary>
    public required int LateStarts { get; init; }
    /// <summary>Every other failed run: HTTP errors, timeouts, gaps, turns that did not complete.</summary>
    public required int ClientErrors { get; init; }
    public required LatencySummary CreateMs { get; init; }
    /// <summary>The answer's latency: from POST /v1/sessions until the stream closed.</summary>
    public required LatencySummary AnswerMs { get; init; }
    public required LatencySummary StreamLagMs { get; init; }
    /// <summary>CPU of the gateway and every Workers process per completed run, in milliseconds.</summary>
    public required double ServiceCpuMsPerRun { get; init; }
    public required double ServiceCores { get; init; }
    /// <summary>CPU of this process per run: the virtual clients and the mock brokers.</summary>
    public required double BenchCpuMsPerRun { get; init; }
    public required IReadOnlyList<ErrorCount> ErrorKinds { get; init; }

    public bool Passed => WrongAnswers == 0 && LateStreams == 0 && LateToolResults == 0 && LateStarts == 0 && ClientErrors == 0 && Runs > 0;

    public static KafkaBenchResult From(KafkaBenchOptions options, int workersStarted, PhaseResult phase, TimeSpan serviceCpu, TimeSpan benchCpu)
    {
        var seconds = phase.Elapsed.TotalSeconds;
        var runs = Math.Max(phase.Completed, 1);
        var wrong = phase.ErrorsOf(LoadRunner.WrongAnswer);
        var late = phase.ErrorsOf(LoadRunner.LateStream);
        var lateTools = phase.ErrorsOf(LoadRunner.LateToolResult);
        var lateStarts = phase.ErrorsOf(LoadRunner.LateStart);
        return new KafkaBenchResult
        {
            Clients = options.Clients,
            Workers = options.Workers,
            WorkersStarted = workersStarted,
            Partitions = options.Partitions,
            Replication = options.Replication,
            FetchWaitMs = options.FetchWaitMs,
            Store = options.Store == StoreKind.Sqlite ? "sqlite" : "postgres",
            Cores = Environment.ProcessorCount,
            RunsBudget = options.Runs,
            CapReached = phase.CapReached,
            ElapsedSeconds = Math.Round(seconds, 3),
            Runs = phase.Completed,
            RunsPerSecond = Math.Round(phase.Completed / seconds, 1),
            EventsPerRun = Math.Round((double)phase.Events / runs, 2),
            WrongAnswers = wrong,
            LateStreams = late,
            LateToolResults = lateTools,
            LateStarts = lateStarts,
            ClientErrors = phase.ErrorTotal - wrong - late - lateTools - lateStarts,
            CreateMs = phase.Create,
            AnswerMs = phase.Run,
            StreamLagMs = phase.StreamLag,
            ServiceCpuMsPerRun = Math.Round(serviceCpu.TotalMilliseconds / runs, 3),
            ServiceCores = Math.Round(serviceCpu.TotalSeconds / seconds, 2),
            BenchCpuMsPerRun = Math.Round(benchCpu.TotalMilliseconds / runs, 3),
            ErrorKinds = phase.Errors,
        };
    }

    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"SomaAgent bench kafka: {Clients} clients, {Workers} Workers processes ({WorkersStarted} started in all), {Partitions} partitions x{Replication}, fetch wait {(FetchWaitMs > 0 ? $"{FetchWaitMs} ms" : "default")}, store={Store}, {Cores} cores");
        text.AppendLine(c, $"  runs          {Runs} completed in {ElapsedSeconds:0.00} s{(CapReached ? " (duration cap reached)" : "")}: {RunsPerSecond:0.0} runs/s, {EventsPerRun:0.0} events/run");
        text.AppendLine(c, $"  wrong answers {WrongAnswers}   (completed without the tool result)");
        text.AppendLine(c, $"  late streams  {LateStreams}   (closed > 1 s after the turn ended)");
        text.AppendLine(c, $"  late tools    {LateToolResults}   (a tool result > 10 s after its call)");
        text.AppendLine(c, $"  late starts   {LateStarts}   (a turn running > 10 s after it was created)");
        text.AppendLine(c, $"  client errors {ClientErrors}");
        text.AppendLine(c, $"  latency ms    {"p50",8} {"p95",8} {"p99",8} {"max",8}");
        text.AppendLine(c, $"    create      {CreateMs.P50,8:0.0} {CreateMs.P95,8:0.0} {CreateMs.P99,8:0.0} {CreateMs.Max,8:0.0}");
        text.AppendLine(c, $"    answer      {AnswerMs.P50,8:0.0} {AnswerMs.P95,8:0.0} {AnswerMs.P99,8:0.0} {AnswerMs.Max,8:0.0}");
        text.AppendLine(c, $"    stream lag  {StreamLagMs.P50,8:0.0} {StreamLagMs.P95,8:0.0} {StreamLagMs.P99,8:0.0} {StreamLagMs.Max,8:0.0}");
        text.AppendLine(c, $"  service CPU   {ServiceCpuMsPerRun:0.000} ms/run, gateway + Workers ({ServiceCores:0.00} cores busy)");
        text.AppendLine(c, $"  bench CPU     {BenchCpuMsPerRun:0.000} ms/run, clients + mock brokers");
        foreach (var error in ErrorKinds)
        {
            text.AppendLine(c, $"  error         {error.Count} x {error.Kind}; first: {error.Example}");
        }
        text.AppendLine(Passed ? "  check         PASSED: no wrong answer, no late stream, no late tool result, no late start, no client error" : "  check         FAILED");
        return text.ToString();
    }
}
