namespace SomaAgent.Bench.Kafka;

/// <summary>The kafka scenario's settings, parsed from <c>--name value</c> pairs. Every property has a default.</summary>
internal sealed record KafkaBenchOptions
{
    public const string Usage = """
        SomaAgent.Bench kafka: the production shape over the Kafka wire protocol. librdkafka's mock cluster (3 brokers,
        in this process; topics created up front), a gateway (authentication off, hosting no workers) and Workers
        processes sharing one store, driven by closed-loop clients (create a session, stream it to its end). Workers are
        replaced during the load as a rolling update would (start one, stop the oldest), so partitions move while turns
        wait for tools. Counts runs whose answer lacks the tool result, runs whose stream closed more than 1 s after the
        turn ended, runs whose turn started or tool result came more than 10 s after it was asked for, and client errors;
        exits 0 only when all are 0. Loopback only, bounded in runs and time.

          --clients N              concurrent virtual clients (default 20)
          --runs N                 measured runs, at most (default 10000)
          --duration S             hard cap on the measured phase in seconds (default 900)
          --workers N              Workers processes running at once (default 2)
          --late-join S            the last Workers process starts S s into the load, 0: with the others (default 2)
          --restart-every S        every S s a new Workers process starts and the oldest stops (SIGTERM); 0: never (default 20)
          --partitions N           partitions of every topic (default 6)
          --replication N          replication factor of every topic, at most 3 (default 3)
          --fetch-wait-ms MS       the services' SomaAgent:Kafka:FetchWaitMaxMs; 0 leaves their default (default 10:
                                   the mock broker always waits a fetch out, a real one answers when data arrives)
          --input TEXT             the session input (default "What is 17 * 23?")
          --expect TEXT            text every answer must contain (default "391", the calculator's result)
          --run-timeout S          a run taking longer is a client error (default 90, above the 60 s a turn waits for a tool)
          --time-per-token-ms MS   simulated model pause between streamed pieces (default 0)
          --store sqlite|postgres  the shared store (default sqlite, one file in the run's folder)
          --postgres CONN          PostgreSQL connection string; required with --store postgres
          --server-log-level L     Logging:LogLevel:Default of the services (default Warning)
          --gateway-dll PATH       gateway to start (default src/SomaAgent.Gateway/bin/Release/net10.0/SomaAgent.Gateway.dll)
          --workers-dll PATH       Workers service to start (default src/SomaAgent.Workers/bin/Release/net10.0/SomaAgent.Workers.dll)
        """;

    public int Clients { get; init; } = 20;
    public int Runs { get; init; } = 10_000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(900);
    public int Workers { get; init; } = 2;
    public TimeSpan LateJoin { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan RestartEvery { get; init; } = TimeSpan.FromSeconds(20);
    public int Partitions { get; init; } = 6;
    public int Replication { get; init; } = 3;
    public int FetchWaitMs { get; init; } = 10;
    public string Input { get; init; } = "What is 17 * 23?";
    public string Expect { get; init; } = "391";
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromSeconds(90);
    public int TimePerTokenMs { get; init; }
    public StoreKind Store { get; init; } = StoreKind.Sqlite;
    public string? PostgresConnectionString { get; init; }
    public string ServerLogLevel { get; init; } = "Warning";
    public string? GatewayDll { get; init; }
    public string? WorkersDll { get; init; }

    /// <summary>What the virtual clients send and check.</summary>
    public LoadProfile Profile => LoadProfile.Standard(Clients, Input, Expect, RunTimeout);

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static KafkaBenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new KafkaBenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }
            var value = args[++i];
            options = name switch
            {
                "--clients" => options with { Clients = BenchOptions.PositiveInt(name, value) },
                "--runs" => options with { Runs = BenchOptions.PositiveInt(name, value) },
                "--duration" => options with { Duration = BenchOptions.Seconds(name, value, allowZero: false) },
                "--workers" => options with { Workers = BenchOptions.PositiveInt(name, value) },
                "--late-join" => options with { LateJoin = BenchOptions.Seconds(name, value, allowZero: true) },
                "--restart-every" => options with { RestartEvery = BenchOptions.Seconds(name, value, allowZero: true) },
                "--partitions" => options with { Partitions = BenchOptions.PositiveInt(name, value) },
                "--replication" => options with { Replication = BenchOptions.PositiveInt(name, value) },
                "--fetch-wait-ms" => options with { FetchWaitMs = BenchOptions.NonNegativeInt(name, value) },
                "--input" => options with { Input = value },
                "--expect" => options with { Expect = value },
                "--run-timeout" => options with { RunTimeout = BenchOptions.Seconds(name, value, allowZero: false) },
                "--time-per-token-ms" => options with { TimePerTokenMs = BenchOptions.NonNegativeInt(name, value) },
                "--store" => options with { Store = BenchOptions.ParseStore(value) },
                "--postgres" => options with { PostgresConnectionString = value },
                "--server-log-level" => options with { ServerLogLevel = value },
                "--gateway-dll" => options with { GatewayDll = value },
                "--workers-dll" => options with { WorkersDll = value },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }
        if (options.Replication > 3)
        {
            throw new ArgumentException($"--replication must be at most 3 (the mock cluster has 3 brokers), got {options.Replication}.");
        }
        if (options.Store == StoreKind.Postgres && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            throw new ArgumentException("--store postgres needs --postgres \"<connection string>\" (eng/bench.sh starts a private PostgreSQL when it is absent).");
        }
        return options;
    }
}
