namespace SomaAgent.Bench.Faults;

/// <summary>The faults scenario's settings, parsed from <c>--name value</c> pairs. Every property has a default.</summary>
internal sealed record FaultBenchOptions
{
    public const string Usage = """
        SomaAgent.Bench faults: processes die under load, and nothing is lost. Starts a private PostgreSQL 15, a private
        redis-server, librdkafka's mock cluster in its own process (3 brokers), a gateway and Workers processes, and drives
        conversations (users with think time, careful clients: a create is retried with an Idempotency-Key, a broken stream
        is reconnected from its last event). While the load runs, one fault every --fault-every seconds:
          1. a Workers process is SIGKILLed (a new one starts 5 s later, as an orchestrator would start it);
          2. Redis is killed and started again, empty, 2 s later;
          3. PostgreSQL stops at once (pg_ctl -m immediate, as a crash) and starts again 3 s later;
          4. broker 2 of the Kafka cluster goes down for 10 s, then comes back.
        Then the load stops, every turn is given up to --drain seconds to end, and a checker reads every session through
        the API: each turn completed or failed with a reason, every event log gapless without a repeat, every accepted
        user message stored once. Prints a table and writes the JSON result to --result. Exits 0 only when nothing was
        lost or duplicated. Loopback only, bounded in time.

          --users N                concurrent users (default 350: about half of what 2 cores sustain in this shape)
          --think S                mean think time between a user's turns, exponential (default 5)
          --turns N                turns per session (default 5)
          --fault-every S          seconds between faults; the load runs 5 times this (default 30)
          --drain S                longest wait for every turn to end after the load (default 180)
          --workers N              Workers processes (default 2)
          --partitions N           partitions of every topic (default 12; the mock keeps about 5 MiB a partition)
          --time-to-first-token-ms MS  simulated model (default 50)
          --time-per-token-ms MS   simulated model (default 20)
          --tool-call-pause-ms MS  simulated model (default 200)
          --async-commits          PostgreSQL with synchronous_commit=off: its crash then loses commits it had confirmed,
                                   which the checker sees (events streamed to clients, then stored otherwise)
          --result PATH            also write the JSON result there (e.g. docs/results/faults.json)
          --smoke                  20 users, a fault every 6 s, 60 s drain: checks the harness and the guarantees quickly
        """;

    public int Users { get; init; } = 350;
    public TimeSpan ThinkMean { get; init; } = TimeSpan.FromSeconds(5);
    public int Turns { get; init; } = 5;
    public TimeSpan FaultEvery { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(180);
    public int Workers { get; init; } = 2;
    public int Partitions { get; init; } = 12;
    public int TimeToFirstTokenMs { get; init; } = 50;
    public int TimePerTokenMs { get; init; } = 20;
    public int ToolCallPauseMs { get; init; } = 200;
    public string? ResultPath { get; init; }
    public bool AsyncCommits { get; init; }

    /// <summary>How long the load runs: one spell before the first fault, one after the last.</summary>
    public TimeSpan LoadDuration => FaultEvery * 5;

    public static FaultBenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new FaultBenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--async-commits")
            {
                options = options with { AsyncCommits = true };
                continue;
            }
            if (name == "--smoke")
            {
                options = options with { Users = 20, ThinkMean = TimeSpan.FromSeconds(1), FaultEvery = TimeSpan.FromSeconds(6), Drain = TimeSpan.FromSeconds(60) };
                continue;
            }
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }
            var value = args[++i];
            options = name switch
            {
                "--users" => options with { Users = BenchOptions.PositiveInt(name, value) },
                "--think" => options with { ThinkMean = BenchOptions.Seconds(name, value, allowZero: true) },
                "--turns" => options with { Turns = BenchOptions.PositiveInt(name, value) },
                "--fault-every" => options with { FaultEvery = BenchOptions.Seconds(name, value, allowZero: false) },
                "--drain" => options with { Drain = BenchOptions.Seconds(name, value, allowZero: false) },
                "--workers" => options with { Workers = BenchOptions.PositiveInt(name, value) },
                "--partitions" => options with { Partitions = BenchOptions.PositiveInt(name, value) },
                "--time-to-first-token-ms" => options with { TimeToFirstTokenMs = BenchOptions.NonNegativeInt(name, value) },
                "--time-per-token-ms" => options with { TimePerTokenMs = BenchOptions.NonNegativeInt(name, value) },
                "--tool-call-pause-ms" => options with { ToolCallPauseMs = BenchOptions.NonNegativeInt(name, value) },
                "--result" => options with { ResultPath = value },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }
        if (options.Workers < 2)
        {
            throw new ArgumentException("--workers must be at least 2: one is killed, and the others take its turns over.");
        }
        return options;
    }
}
