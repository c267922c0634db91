using System.Globalization;
using SomaAgent.TestServers;

namespace SomaAgent.Bench.Kafka;

/// <summary>
/// <c>SomaAgent.Bench kafka-cluster</c>: librdkafka's mock cluster in a process of its own, so that its CPU is counted
/// apart from the load generator's and a broker can be stopped under load while everything else runs. It creates
/// SomaAgent's topics, prints <c>bootstrap &lt;host:port,…&gt;</c>, then takes one command a line on standard input
/// (<c>down N</c>, <c>up N</c>: broker N, 1..3) and answers <c>ok</c> or <c>error …</c>. It ends when its input closes,
/// so it never outlives the bench that started it (<see cref="KafkaClusterProcess"/>).
/// </summary>
internal static class KafkaClusterHost
{
    public const string Scenario = "kafka-cluster";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var partitions = 6;
        var replication = 3;
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--partitions":
                    partitions = BenchOptions.PositiveInt(args[i], args[i + 1]);
                    break;
                case "--replication":
                    replication = BenchOptions.PositiveInt(args[i], args[i + 1]);
                    break;
                default:
                    await Console.Error.WriteLineAsync($"kafka-cluster: unknown option {args[i]} (--partitions N, --replication N)");
                    return 2;
            }
        }

        await using var cluster = new KafkaMockCluster();
        cluster.EnsureSomaAgentTopics(partitions, replication);
        Console.WriteLine($"bootstrap {cluster.BootstrapServers}");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            Console.WriteLine(Execute(cluster, line));
        }
        return 0;
    }

    private static string Execute(KafkaMockCluster cluster, string line)
    {
        try
        {
            switch (line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                case ["down", var id]:
                    cluster.SetBrokerDown(BrokerId(id));
                    return "ok";
                case ["up", var id]:
                    cluster.SetBrokerUp(BrokerId(id));
                    return "ok";
                default:
                    return $"error unknown command '{line}' (down N, up N)";
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            return $"error {ex.Message}";
        }
    }

    private static int BrokerId(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && KafkaMockCluster.BrokerIds.Contains(id)
            ? id
            : throw new ArgumentException($"broker id must be one of {string.Join(", ", KafkaMockCluster.BrokerIds)}, got '{value}'");
}
