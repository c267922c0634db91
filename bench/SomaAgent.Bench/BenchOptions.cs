using System.Globalization;
using System.Net;

namespace SomaAgent.Bench;

/// <summary>Which store the gateway the bench starts uses.</summary>
internal enum StoreKind
{
    Sqlite,
    Postgres,
}

/// <summary>The bench's settings, parsed from <c>--name value</c> pairs. Every property has a default.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        SomaAgent.Bench: drives a gateway with concurrent virtual clients (create a session, stream its events).
        SomaAgent.Bench tool-cache [options]: the tool result cache scenario instead (tool-cache --help lists its options).

          --scenario run|tools|reads  what a run is (default run): an agent run with one calculator call; a tool-heavy
                                   agent run (four tool calls in one step, then the answer); one GET of a session
                                   (plain API reads: the gateway's own overhead)
          --arrival closed|open|conversation
                                   closed: the clients loop (default); open: runs start at --rate per second, at
                                   most --clients at once (an arrival with every client busy counts as an error);
                                   conversation: each client is a user in sessions of --turns turns with think
                                   time between them, and a run is one turn
          --turns N                turns per session with --arrival conversation (default 5)
          --think S                mean think time in seconds between a user's turns, exponentially distributed
                                   (at most 10 times the mean) with --arrival conversation (default 5)
          --rate R                 runs started per second with --arrival open (e.g. 2000 for reads)
          --ramp S                 seconds over which the load grows: clients join one by one, or the rate climbs
          --report DIR             also write DIR/bench-result.json and DIR/bench-report.md (table, latency chart)
          --no-progress            no progress line each second
          --smoke                  a few seconds at small load (4 clients, 2 s warm-up, 4 s): checks the harness works
          --clients N              concurrent virtual clients (default 50)
          --runs N                 measured runs in total, at most (default 2000)
          --duration S             hard cap on the measured phase in seconds (default 30)
          --warmup S               seconds of load before measuring, not counted (default 5)
          --run-timeout S          a single run taking longer is an error (default 30)
          --input TEXT             the session input (default "What is 12*(3+4)?")
          --expect TEXT            text every answer must contain (default "84", the default input's result; none with --input)
          --store sqlite|postgres  store of the gateway the bench starts (default sqlite)
          --postgres CONN          PostgreSQL connection string; required with --store postgres
          --store-pid PID          the store server's PID (PostgreSQL's postmaster), to report its CPU with its backends
          --redis private|CONN     give the gateway Redis (rate limits, tool cache): a private redis-server, or a connection string
          --time-per-token-ms MS   simulated model pause between streamed pieces (default 0)
          --time-to-first-token-ms MS  simulated model pause before the first piece of a reply (default 0)
          --tool-call-pause-ms MS  simulated model pause before it answers with a tool call (default 0)
          --workers N              the production shape: the gateway hosts no workers, N Workers processes run the turns
                                   and tools, all talking over librdkafka's mock cluster (its own process, CPU reported
                                   as kafka); 0: the gateway hosts them (default 0)
          --partitions N           with --workers: partitions of every topic (default 6)
          --gateways N             with --workers: N gateways on the same store, Redis and Kafka; client i talks to
                                   gateway i mod N; the report gives each replica's share of the work (default 1)
          --kill-replica-after S   with --gateways 2+: S s into the measured phase, SIGKILL the last gateway and the
                                   oldest Workers process (its clients carry on through the other gateway)
          --resilient              careful clients: retry a create (Idempotency-Key), reconnect a broken stream from
                                   its last event, through the next gateway when one is gone
          --server-log-level L     Logging:LogLevel:Default of the started gateway (default Warning)
          --server-env KEY=VALUE   extra environment for the started gateway (repeatable), e.g. DOTNET_TieredPGO=0
          --gateway-dll PATH       gateway to start (default src/SomaAgent.Gateway/bin/Release/net10.0/SomaAgent.Gateway.dll)
          --url URL                target an already running gateway on loopback instead of starting one
          --server-pid PID         with --url: the gateway's PID, to report its CPU
        """;

    public string Scenario { get; init; } = "run";
    public Arrival Arrival { get; init; } = Arrival.Closed;
    public double Rate { get; init; }
    public TimeSpan Ramp { get; init; }
    public string? ReportDirectory { get; init; }
    public bool LiveProgress { get; init; } = true;
    public int Clients { get; init; } = 50;
    public int Runs { get; init; } = 2000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public string Input { get; init; } = "What is 12*(3+4)?";
    public string? Expect { get; init; } = "84";
    public StoreKind Store { get; init; } = StoreKind.Sqlite;
    public string? PostgresConnectionString { get; init; }
    public int? StorePid { get; init; }
    public string? Redis { get; init; }
    public int TimePerTokenMs { get; init; }
    public int TimeToFirstTokenMs { get; init; }
    public int ToolCallPauseMs { get; init; }
    public int TurnsPerSession { get; init; } = 5;
    public TimeSpan ThinkMean { get; init; } = TimeSpan.FromSeconds(5);
    public int Workers { get; init; }
    public int Partitions { get; init; } = 6;
    public int Gateways { get; init; } = 1;
    public TimeSpan? KillReplicaAfter { get; init; }
    public bool Resilient { get; init; }
    public string ServerLogLevel { get; init; } = "Warning";
    public IReadOnlyList<KeyValuePair<string, string>> ServerEnvironment { get; init; } = [];
    public string? GatewayDll { get; init; }
    public Uri? Url { get; init; }
    public int? ServerPid { get; init; }

    /// <summary>Whether --expect was given (then --input keeps it).</summary>
    private bool ExpectGiven { get; init; }

    /// <summary>What the tool-heavy scenario asks: four calls of the simulated model's tools in one step, then the answer.</summary>
    public const string ToolHeavyInput = "call calculator {\"expression\": \"12*(3+4)\"}\ncall calculator {\"expression\": \"2^10\"}\ncall clock\ncall calculator {\"expression\": \"7*6\"}";

    /// <summary>What the virtual clients send and check.</summary>
    public LoadProfile Profile => LoadProfile.Standard(Clients, Scenario == "tools" && !InputGiven ? ToolHeavyInput : Input, Scenario == "tools" && !ExpectGiven ? null : Expect, RunTimeout) with
    {
        Arrival = Arrival,
        Rate = Rate,
        Ramp = Ramp,
        TurnsPerSession = TurnsPerSession,
        ThinkMean = ThinkMean,
        LiveProgress = LiveProgress,
        Resilient = Resilient,
    };

    /// <summary>Whether --input was given (the tools scenario has its own otherwise).</summary>
    private bool InputGiven { get; init; }

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--resilient")
            {
                options = options with { Resilient = true };
                continue;
            }
            if (name is "--smoke" or "--no-progress")
            {
                options = name == "--smoke"
                    ? options with { Clients = 4, Warmup = TimeSpan.FromSeconds(2), Duration = TimeSpan.FromSeconds(4), Runs = 400, LiveProgress = false }
                    : options with { LiveProgress = false };
                continue;
            }
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }
            var value = args[++i];
            options = name switch
            {
                "--clients" => options with { Clients = PositiveInt(name, value) },
                "--runs" => options with { Runs = PositiveInt(name, value) },
                "--duration" => options with { Duration = Seconds(name, value, allowZero: false) },
                "--warmup" => options with { Warmup = Seconds(name, value, allowZero: true) },
                "--run-timeout" => options with { RunTimeout = Seconds(name, value, allowZero: false) },
                "--input" => options with { Input = value, InputGiven = true, Expect = options.ExpectGiven ? options.Expect : null },
                "--scenario" => options with { Scenario = value is "run" or "tools" or "reads" ? value : throw new ArgumentException($"--scenario must be run, tools or reads, got '{value}'.") },
                "--arrival" => options with { Arrival = value switch { "closed" => Arrival.Closed, "open" => Arrival.Open, "conversation" => Arrival.Conversation, _ => throw new ArgumentException($"--arrival must be closed, open or conversation, got '{value}'.") } },
                "--turns" => options with { TurnsPerSession = PositiveInt(name, value) },
                "--think" => options with { ThinkMean = Seconds(name, value, allowZero: true) },
                "--rate" => options with { Rate = PositiveInt(name, value) },
                "--ramp" => options with { Ramp = Seconds(name, value, allowZero: true) },
                "--report" => options with { ReportDirectory = value },
                "--expect" => options with { Expect = value, ExpectGiven = true },
                "--store" => options with { Store = ParseStore(value) },
                "--postgres" => options with { PostgresConnectionString = value },
                "--store-pid" => options with { StorePid = PositiveInt(name, value) },
                "--redis" => options with { Redis = value },
                "--time-per-token-ms" => options with { TimePerTokenMs = NonNegativeInt(name, value) },
                "--time-to-first-token-ms" => options with { TimeToFirstTokenMs = NonNegativeInt(name, value) },
                "--tool-call-pause-ms" => options with { ToolCallPauseMs = NonNegativeInt(name, value) },
                "--workers" => options with { Workers = NonNegativeInt(name, value) },
                "--partitions" => options with { Partitions = PositiveInt(name, value) },
                "--gateways" => options with { Gateways = PositiveInt(name, value) },
                "--kill-replica-after" => options with { KillReplicaAfter = Seconds(name, value, allowZero: false) },
                "--server-log-level" => options with { ServerLogLevel = value },
                "--server-env" => options with { ServerEnvironment = [.. options.ServerEnvironment, EnvironmentPair(value)] },
                "--gateway-dll" => options with { GatewayDll = value },
                "--url" => options with { Url = LoopbackUrl(value) },
                "--server-pid" => options with { ServerPid = PositiveInt(name, value) },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }
        if (options.Store == StoreKind.Postgres && options.Url is null && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            throw new ArgumentException("--store postgres needs --postgres \"<connection string>\" (eng/bench.sh starts a private PostgreSQL when it is absent).");
        }
        if (options.Arrival == Arrival.Open && options.Rate <= 0)
        {
            throw new ArgumentException("--arrival open needs --rate R (runs started per second).");
        }
        if (options.Arrival == Arrival.Conversation && options.Scenario == "reads")
        {
            throw new ArgumentException("--arrival conversation drives agent turns; it does not apply to --scenario reads.");
        }
        if (options.Gateways > 1 && options.Workers == 0)
        {
            throw new ArgumentException("--gateways 2 or more needs --workers N: gateways share the turns through Kafka, so they host no workers.");
        }
        if (options.KillReplicaAfter is not null && options.Gateways < 2)
        {
            throw new ArgumentException("--kill-replica-after needs --gateways 2 or more (and --workers 2 or more): one of each is taken away, the others carry on.");
        }
        if (options.Workers > 0 && options.Url is not null)
        {
            throw new ArgumentException("--workers starts the production shape itself; it does not apply with --url.");
        }
        if (options.ServerPid is not null && options.Url is null)
        {
            throw new ArgumentException("--server-pid only applies with --url; without it the bench starts the gateway and knows its PID.");
        }
        return options;
    }

    internal static StoreKind ParseStore(string value) => value switch
    {
        "sqlite" => StoreKind.Sqlite,
        "postgres" => StoreKind.Postgres,
        _ => throw new ArgumentException($"--store must be sqlite or postgres, got '{value}'."),
    };

    private static KeyValuePair<string, string> EnvironmentPair(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        return equals > 0
            ? new KeyValuePair<string, string>(value[..equals], value[(equals + 1)..])
            : throw new ArgumentException($"--server-env must be KEY=VALUE, got '{value}'.");
    }

    internal static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} must be a whole number above 0, got '{value}'.");

    internal static int NonNegativeInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new ArgumentException($"{name} must be a whole number of 0 or more, got '{value}'.");

    internal static TimeSpan Seconds(string name, string value, bool allowZero) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s) && (s > 0 || (allowZero && s == 0))
            ? TimeSpan.FromSeconds(s)
            : throw new ArgumentException($"{name} must be a number of seconds{(allowZero ? " (0 or more)" : " above 0")}, got '{value}'.");

    /// <summary>Load goes to loopback only: a bench must never hammer a shared host by accident.</summary>
    private static Uri LoopbackUrl(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"--url must be an absolute http(s) URL, got '{value}'.");
        }
        var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback)
        {
            throw new ArgumentException($"--url must point at loopback (localhost, 127.0.0.1, [::1]), got '{uri.Host}'.");
        }
        // A trailing slash, so relative API paths resolve below any path prefix.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }
}
