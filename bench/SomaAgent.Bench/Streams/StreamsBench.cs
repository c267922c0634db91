using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Bench.Streams;

/// <summary>
/// <c>SomaAgent.Bench streams</c>: many SSE streams held open on one gateway. Opens --sessions sessions, follows each
/// (<c>?follow=true</c>) from its first event, lets them all sit idle between turns, then posts a next message to every
/// one: every event of that turn must reach its stream, and the report gives the gateway's memory and CPU while idle and
/// while the turns run, and how long events took from the store to the client.
/// </summary>
internal static class StreamsBench
{
    public const string Scenario = "streams";
    private const int MeasuredTurn = 2;

    public const string Usage = """
        SomaAgent.Bench streams: many SSE streams held open on one gateway the bench starts (authentication on, its workers
        inside). Opens --sessions sessions, holds a following stream (GET /v1/sessions/{id}/events?follow=true) on each,
        idles for --idle seconds (the streams get only keep-alives), then posts a next message to every session and waits
        until each stream has its turn's end. Exits 0 only when every stream stayed open and got every event, gapless.

          --sessions N             sessions, each with one following stream (default 10000)
          --idle S                 seconds all streams sit idle between the turns (default 30)
          --concurrency N          requests in flight while creating sessions and posting messages (default 64)
          plus the gateway's options of the default scenario: --store, --postgres, --store-pid, --redis, --time-per-token-ms,
          --time-to-first-token-ms, --tool-call-pause-ms, --server-env, --server-log-level, --gateway-dll
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        if (args is ["--help" or "-h"])
        {
            Console.WriteLine(Usage);
            return 0;
        }
        int sessions = 10_000, concurrency = 64;
        var idle = TimeSpan.FromSeconds(30);
        var gatewayArgs = new List<string>();
        BenchOptions options;
        try
        {
            for (var i = 0; i < args.Count; i++)
            {
                switch (args[i])
                {
                    case "--sessions" when i + 1 < args.Count:
                        sessions = BenchOptions.PositiveInt(args[i], args[++i]);
                        break;
                    case "--concurrency" when i + 1 < args.Count:
                        concurrency = BenchOptions.PositiveInt(args[i], args[++i]);
                        break;
                    case "--idle" when i + 1 < args.Count:
                        idle = BenchOptions.Seconds(args[i], args[++i], allowZero: true);
                        break;
                    default:
                        gatewayArgs.Add(args[i]);
                        break;
                }
            }
            options = BenchOptions.Parse(gatewayArgs);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine($"bench: {ex.Message}\n\n{Usage}");
            return 2;
        }

        using var interrupted = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupted.Cancel();
        };
        var ct = interrupted.Token;
        await using var redis = options.Redis == "private" ? await RedisProcess.StartAsync(ct) : null;
        await using var gateway = await ServiceProcess.StartGatewayAsync(options, ct, redis?.ConnectionString ?? options.Redis);
        using var http = BenchHttp.CreateClient(gateway.BaseAddress, sessions + concurrency, gateway.ApiKey);
        Console.WriteLine($"bench: streams; gateway pid {gateway.Pid} at {gateway.BaseAddress}, {sessions} sessions");

        var watch = Stopwatch.StartNew();
        var ids = new ConcurrentQueue<string>();
        var errors = new ConcurrentDictionary<string, int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, sessions), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (_, token) =>
        {
            using var created = await http.PostAsJsonAsync(new Uri("v1/sessions", UriKind.Relative), new CreateRequest("hi"), BenchJsonContext.Default.CreateRequest, token);
            if (created.StatusCode != HttpStatusCode.Created)
            {
                errors.AddOrUpdate($"create answered {(int)created.StatusCode}", 1, (_, n) => n + 1);
                return;
            }
            var body = await created.Content.ReadFromJsonAsync(BenchJsonContext.Default.SessionCreated, token);
            ids.Enqueue(body!.Id!);
        });
        var createSeconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"bench: {ids.Count} sessions created in {createSeconds:0.0} s; opening a following stream on each");

        watch.Restart();
        var delays = new ConcurrentQueue<double>();
        using var endRun = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var streams = ids.Select(id => new FollowedStream(http, id, MeasuredTurn, delays)).ToList();
        var readers = new List<Task>(streams.Count);
        using (var opening = new SemaphoreSlim(concurrency))
        {
            foreach (var stream in streams)
            {
                await opening.WaitAsync(ct);
                readers.Add(Task.Run(() => stream.RunAsync(endRun.Token), CancellationToken.None));
                _ = stream.FirstTurnEnded.ContinueWith(_ => opening.Release(), TaskScheduler.Default);
            }
        }
        await WhenAllSettledAsync(streams.Select(s => s.FirstTurnEnded), TimeSpan.FromSeconds(300), ct);
        var openSeconds = watch.Elapsed.TotalSeconds;
        var open = streams.Count(s => s.FirstTurnEnded.IsCompletedSuccessfully);
        Console.WriteLine($"bench: {open} streams open and past their first turn in {openSeconds:0.0} s; idle for {idle.TotalSeconds:0} s");

        var idleRssBefore = ReadRssMb(gateway.Pid);
        var idleCpuBefore = gateway.Cpu;
        await Task.Delay(idle, ct);
        var idleCpu = gateway.Cpu - idleCpuBefore;
        var idleRss = ReadRssMb(gateway.Pid);
        var openAfterIdle = streams.Count(s => s.Failure is null);

        Console.WriteLine($"bench: posting the next message to every session");
        watch.Restart();
        var turnCpuBefore = gateway.Cpu;
        var peakRss = idleRss;
        using var sampling = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        var sampler = Task.Run(async () =>
        {
            while (await sampling.WaitForNextTickAsync(CancellationToken.None))
            {
                peakRss = Math.Max(peakRss, ReadRssMb(gateway.Pid));
            }
        }, CancellationToken.None);
        await Parallel.ForEachAsync(streams.Where(s => s.Failure is null), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct }, async (stream, token) =>
        {
            using var posted = await http.PostAsJsonAsync(new Uri($"v1/sessions/{stream.SessionId}/messages", UriKind.Relative), new CreateRequest("hi"), BenchJsonContext.Default.CreateRequest, token);
            if (posted.StatusCode != HttpStatusCode.Accepted)
            {
                errors.AddOrUpdate($"message answered {(int)posted.StatusCode}", 1, (_, n) => n + 1);
            }
        });
        var postSeconds = watch.Elapsed.TotalSeconds;
        await WhenAllSettledAsync(streams.Select(s => s.MeasuredTurnEnded), TimeSpan.FromSeconds(300), ct);
        var turnSeconds = watch.Elapsed.TotalSeconds;
        var turnCpu = gateway.Cpu - turnCpuBefore;
        sampling.Dispose();
        await sampler;
        var delivered = streams.Count(s => s.MeasuredTurnEnded.IsCompletedSuccessfully);

        await endRun.CancelAsync();
        await Task.WhenAll(readers);
        var failures = streams.Where(s => s.Failure is not null).Select(s => s.Failure!).ToList();
        var stored = await CountStoredEventsAsync(http, streams, ct);

        var c = CultureInfo.InvariantCulture;
        var delayTicks = delays.Select(ms => (long)(ms * Stopwatch.Frequency / 1000)).ToArray();
        var delay = LatencySummary.Of(delayTicks);
        var received = streams.Sum(s => (long)s.Events);
        var report = new StringBuilder();
        report.AppendLine(c, $"SomaAgent bench streams: {sessions} sessions, each with a following SSE stream, on one gateway ({Environment.ProcessorCount} cores, store={(options.Store == StoreKind.Sqlite ? "sqlite" : "postgres")})");
        report.AppendLine(c, $"  set-up        {ids.Count} sessions created in {createSeconds:0.0} s; {open} streams open and past turn 1 in {openSeconds:0.0} s");
        report.AppendLine(c, $"  idle          {idle.TotalSeconds:0} s with {openAfterIdle} streams open: gateway RSS {idleRssBefore:0} MB -> {idleRss:0} MB, CPU {idleCpu.TotalSeconds / Math.Max(idle.TotalSeconds, 1e-9):0.000} cores");
        report.AppendLine(c, $"  turn          {streams.Count} messages posted in {postSeconds:0.0} s; {delivered} streams had the turn's end within {turnSeconds:0.0} s; gateway CPU {turnCpu.TotalMilliseconds / Math.Max(delivered, 1):0.00} ms per turn, peak RSS {peakRss:0} MB");
        report.AppendLine(c, $"  delivery ms   {"p50",8} {"p95",8} {"p99",8} {"max",8} {"mean",8}   (stored -> client, events of turn {MeasuredTurn})");
        report.AppendLine(c, $"                {delay.P50,8:0.0} {delay.P95,8:0.0} {delay.P99,8:0.0} {delay.Max,8:0.0} {delay.Mean,8:0.0}");
        report.AppendLine(c, $"  events        {received} received over the streams, {stored} stored: {(received == stored ? "every stored event delivered once" : "MISMATCH")}");
        foreach (var (kind, count) in errors)
        {
            report.AppendLine(c, $"  error         {count} x {kind}");
        }
        foreach (var failure in failures.Take(10))
        {
            report.AppendLine(c, $"  stream failed {failure}");
        }
        var passed = failures.Count == 0 && errors.IsEmpty && delivered == sessions && received == stored;
        report.AppendLine(passed ? "  check         PASSED: every stream stayed open and got every event, gapless" : $"  check         FAILED ({failures.Count} streams failed)");
        Console.Write(report);
        Console.WriteLine(JsonSerializer.Serialize(new StreamsBenchResult(sessions, idle.TotalSeconds, Math.Round(createSeconds, 1), Math.Round(openSeconds, 1), openAfterIdle,
            Math.Round(idleRssBefore), Math.Round(idleRss), Math.Round(idleCpu.TotalSeconds / Math.Max(idle.TotalSeconds, 1e-9), 3), Math.Round(postSeconds, 1), Math.Round(turnSeconds, 1), delivered,
            Math.Round(turnCpu.TotalMilliseconds / Math.Max(delivered, 1), 3), Math.Round(peakRss), delay, received, stored, failures.Count, passed), BenchJsonContext.Default.StreamsBenchResult));
        return passed ? 0 : 1;
    }

    /// <summary>Waits until every task has finished, one way or the other, or the limit passes.</summary>
    private static async Task WhenAllSettledAsync(IEnumerable<Task> tasks, TimeSpan limit, CancellationToken ct)
    {
        try
        {
            await Task.WhenAll(tasks).WaitAsync(limit, ct);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Counted from each stream's own state.
        }
    }

    /// <summary>The events stored for the sessions, read back through the API: what the streams should have received.</summary>
    private static async Task<long> CountStoredEventsAsync(HttpClient http, List<FollowedStream> streams, CancellationToken ct)
    {
        long total = 0;
        await Parallel.ForEachAsync(streams, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (stream, token) =>
        {
            using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri($"v1/sessions/{stream.SessionId}", UriKind.Relative), token));
            Interlocked.Add(ref total, document.RootElement.GetProperty("events").GetArrayLength());
        });
        return total;
    }

    private static double ReadRssMb(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        return 0;
    }
}

/// <summary>The streams scenario's numbers, as one JSON line.</summary>
internal sealed record StreamsBenchResult(
    int Sessions, double IdleSeconds, double CreateSeconds, double OpenSeconds, int OpenAfterIdle, double IdleRssBeforeMb, double IdleRssAfterMb,
    double IdleCores, double PostSeconds, double TurnSeconds, int StreamsWithTurn, double GatewayCpuMsPerTurn, double PeakRssMb,
    LatencySummary DeliveryMs, long EventsReceived, long EventsStored, int FailedStreams, bool Passed);
