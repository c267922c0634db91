using System.Globalization;

namespace SomaAgent.Bench.ToolCache;

/// <summary>Settings of the tool-cache scenario, parsed from <c>--name value</c> pairs (and the <c>--redis</c> flag).</summary>
internal sealed record ToolCacheOptions
{
    public const string Usage = """
        SomaAgent.Bench tool-cache: drives the runtime's ToolExecutor in-process with calculator calls whose
        arguments follow a Zipf distribution over many sessions and tenants, and reports the result cache's hit rate.

          --redis                  start a private redis-server (loopback, temp dir) as the shared second level
          --hosts N                in-process worker hosts, each with its own memory cache (default 2 with --redis, else 1)
          --calls N                measured tool calls (default 20000)
          --distinct N             distinct expressions the arguments are drawn from (default 1000)
          --zipf S                 Zipf exponent: the k-th most popular expression has weight 1/k^S (default 1.1)
          --sessions N             session ids the calls are spread over (default 2000)
          --tenants N              tenants the sessions belong to; the cache key includes the tenant (default 4)
          --workers N              concurrent callers (default 8)
          --warmup N               calls under a separate tenant before measuring, not counted (default 2000)
          --duration S             hard cap on the measured phase in seconds (default 60)
          --seed N                 seed of the call plan, so runs are repeatable (default 42)
        """;

    public bool Redis { get; init; }
    public int? Hosts { get; init; }
    public int Calls { get; init; } = 20_000;
    public int Distinct { get; init; } = 1_000;
    public double Zipf { get; init; } = 1.1;
    public int Sessions { get; init; } = 2_000;
    public int Tenants { get; init; } = 4;
    public int Workers { get; init; } = 8;
    public int Warmup { get; init; } = 2_000;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);
    public int Seed { get; init; } = 42;

    /// <summary>Two hosts by default with Redis: two worker processes sharing it is what the second level is for.</summary>
    public int HostCount => Hosts ?? (Redis ? 2 : 1);

    /// <summary>Parses the command line; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static ToolCacheOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ToolCacheOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--redis")
            {
                options = options with { Redis = true };
                continue;
            }
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"{name} needs a value.");
            }
            var value = args[++i];
            options = name switch
            {
                "--hosts" => options with { Hosts = Int(name, value, 1, 16) },
                "--calls" => options with { Calls = Int(name, value, 1, 10_000_000) },
                "--distinct" => options with { Distinct = Int(name, value, 1, 1_000_000) },
                "--zipf" => options with { Zipf = Exponent(name, value) },
                "--sessions" => options with { Sessions = Int(name, value, 1, 10_000_000) },
                "--tenants" => options with { Tenants = Int(name, value, 1, 10_000) },
                "--workers" => options with { Workers = Int(name, value, 1, 1_024) },
                "--warmup" => options with { Warmup = Int(name, value, 0, 1_000_000) },
                "--duration" => options with { Duration = Seconds(name, value) },
                "--seed" => options with { Seed = Int(name, value, 0, int.MaxValue) },
                _ => throw new ArgumentException($"Unknown option {name}."),
            };
        }
        return options;
    }

    private static int Int(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} must be a whole number from {min} to {max}, got '{value}'.");

    private static double Exponent(string name, string value) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s) && s >= 0 && s <= 5
            ? s
            : throw new ArgumentException($"{name} must be a number from 0 (uniform) to 5, got '{value}'.");

    private static TimeSpan Seconds(string name, string value) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 3_600
            ? TimeSpan.FromSeconds(s)
            : throw new ArgumentException($"{name} must be a number of seconds above 0 and at most 3600, got '{value}'.");
}
