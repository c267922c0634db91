using System.Globalization;

namespace SomaAgent.Bench.Registry;

/// <summary>What the registry scenario does; every loop is bounded by a count.</summary>
internal sealed record RegistryBenchOptions
{
    public const string Usage = """
        eng/bench.sh registry [options]
          --small N        100 KB capsules published, then downloaded, per path (default 200)
          --large N        10 MB capsules published, then downloaded, per path (default 20)
          --clients N      concurrent clients in the publish and download phases (default 4)
          --capsules N     capsules in the database before the search phase (default 10000)
          --searches N     searches per path (default 1000)
          --help
        A gateway and a registry run as child processes on one SQLite store in a temp folder, the registry's
        artifacts in a folder; 'gateway' is every request through the gateway's forwarding, 'direct' the registry itself.
        """;

    public int Small { get; init; } = 200;

    public int Large { get; init; } = 20;

    public int Clients { get; init; } = 4;

    public int Capsules { get; init; } = 10_000;

    public int Searches { get; init; } = 1000;

    public static RegistryBenchOptions Parse(string[] args)
    {
        var options = new RegistryBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            int Next() => i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
                ? value
                : throw new ArgumentException($"{args[i - 1]} needs a positive whole number.");
            options = args[i] switch
            {
                "--small" => options with { Small = Next() },
                "--large" => options with { Large = Next() },
                "--clients" => options with { Clients = Next() },
                "--capsules" => options with { Capsules = Next() },
                "--searches" => options with { Searches = Next() },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }
        return options;
    }
}
