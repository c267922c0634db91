using System.Globalization;

namespace SomaAgent.Bench;

/// <summary>
/// The replicas of the production shape: the gateway the bench started first, the gateways beside it on the same store,
/// Redis and Kafka (<c>--gateways</c>), and the Workers processes (<c>--workers</c>). It measures what share of the work
/// each one did (runs through each gateway, as the clients counted them; turns each Workers process ended, from its
/// <c>/metrics</c>) and the CPU each used for it, and can take one of each away under load.
/// </summary>
internal sealed class ReplicaSet(ServiceProcess first, List<ServiceProcess> gateways, List<HttpClient> clients, WorkerPool? workers) : IAsyncDisposable
{
    private const string TurnsEndedMetric = "somaagent_turns_ended_total";

    /// <summary>One client per gateway, the first gateway's first.</summary>
    public IReadOnlyList<HttpClient> Clients => clients;

    /// <summary>Every process whose CPU counts beside the first gateway's: the other gateways and the Workers processes.</summary>
    public IEnumerable<ServiceProcess> OtherServices => gateways.Concat(workers?.Running ?? []);

    public static async Task<ReplicaSet> StartAsync(BenchOptions options, ServiceProcess gateway, HttpClient client, WorkerPool? workers, CancellationToken cancellationToken)
    {
        var gateways = new List<ServiceProcess>();
        var clients = new List<HttpClient> { client };
        for (var i = 2; i <= options.Gateways; i++)
        {
            var replica = await ServiceProcess.StartGatewayReplicaAsync(gateway, $"gateway-{i}", cancellationToken);
            gateways.Add(replica);
            clients.Add(BenchHttp.CreateClient(replica.BaseAddress, options.Clients, gateway.ApiKey));
        }
        return new ReplicaSet(gateway, gateways, clients, workers);
    }

    /// <summary>Each replica's work and CPU so far.</summary>
    public async Task<IReadOnlyList<ReplicaCount>> CountAsync(IReadOnlyList<long> runsByGateway)
    {
        var counts = new List<ReplicaCount>();
        var all = new[] { first }.Concat(gateways).ToList();
        for (var i = 0; i < all.Count; i++)
        {
            counts.Add(new ReplicaCount(all[i].Name, "runs", i < runsByGateway.Count ? runsByGateway[i] : 0, all[i].Cpu));
        }
        foreach (var worker in workers?.Running ?? [])
        {
            counts.Add(new ReplicaCount(worker.Name, "turns", await TurnsEndedAsync(worker), worker.Cpu));
        }
        return counts;
    }

    /// <summary>Each replica's share of its kind's work between two counts, and its CPU per unit of that work.</summary>
    public static List<ReplicaShare> Shares(IReadOnlyList<ReplicaCount> before, IReadOnlyList<ReplicaCount> after)
    {
        var deltas = after.Select(a => before.FirstOrDefault(b => b.Name == a.Name) is { } b ? a with { Work = a.Work - b.Work, Cpu = a.Cpu - b.Cpu } : a).ToList();
        return [.. deltas.Select(d => new ReplicaShare(d.Name, d.Unit, d.Work,
            Math.Round(100.0 * d.Work / Math.Max(1, deltas.Where(o => o.Unit == d.Unit).Sum(o => o.Work)), 1),
            Math.Round(d.Cpu.TotalMilliseconds / Math.Max(1, d.Work), 3)))];
    }

    /// <summary>SIGKILLs the last gateway replica and the oldest Workers process, as a lost node would take them.</summary>
    public async Task<string> KillOneOfEachAsync()
    {
        var gone = new List<string>();
        if (gateways.Count > 0)
        {
            await gateways[^1].KillAsync();
            gone.Add($"{gateways[^1].Name} (pid {gateways[^1].Pid})");
        }
        if (workers is { Running.Count: > 1 })
        {
            gone.Add($"{workers.Running[0].Name} (pid {workers.Running[0].Pid})");
            await workers.KillOldestAsync();
        }
        return string.Join(" and ", gone);
    }

    /// <summary>The turns the Workers process has ended, by <c>somaagent_turns_ended_total</c> on its <c>/metrics</c>.</summary>
    private static async Task<long> TurnsEndedAsync(ServiceProcess worker)
    {
        using var http = new HttpClient { BaseAddress = worker.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            return text.Split('\n')
                .Where(line => line.StartsWith(TurnsEndedMetric, StringComparison.Ordinal))
                .Sum(line => (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in clients.Skip(1))
        {
            client.Dispose();
        }
        foreach (var gateway in gateways)
        {
            await gateway.DisposeAsync();
        }
    }
}

/// <summary>A replica's work so far (runs through a gateway, turns a Workers process ended) and its CPU.</summary>
internal sealed record ReplicaCount(string Name, string Unit, long Work, TimeSpan Cpu);

/// <summary>A replica's share of its kind's work over the measured phase, and its CPU per unit of that work.</summary>
internal sealed record ReplicaShare(string Name, string Unit, long Work, double SharePercent, double CpuMsPerUnit);
