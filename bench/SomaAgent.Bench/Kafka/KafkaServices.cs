using System.Globalization;
using SomaAgent.TestServers;

namespace SomaAgent.Bench.Kafka;

/// <summary>
/// The services of the kafka scenario as child processes: one gateway that queues turns and streams events,
/// and Workers processes that run turns and tools, all on one store and talking only over the mock cluster.
/// Workers come and go (<see cref="StartWorkerAsync"/>, <see cref="StopOldestWorkerAsync"/>); the CPU of every
/// process that ever ran is counted.
/// </summary>
internal sealed class KafkaServices : IAsyncDisposable
{
    private readonly KafkaBenchOptions _options;
    private readonly Dictionary<string, string?> _environment;
    private readonly List<ServiceProcess> _workers = [];
    private readonly List<ServiceProcess> _stopped = [];
    private int _started;

    private KafkaServices(KafkaBenchOptions options, DirectoryInfo folder, Dictionary<string, string?> environment)
    {
        _options = options;
        Folder = folder;
        _environment = environment;
    }

    /// <summary>The run's folder: the SQLite store and every process's log.</summary>
    public DirectoryInfo Folder { get; }

    public ServiceProcess Gateway { get; private set; } = null!;

    public int WorkersStarted => _started;

    /// <summary>User + system CPU of the gateway and of every Workers process, running or stopped.</summary>
    public TimeSpan Cpu
    {
        get
        {
            lock (_workers)
            {
                return Gateway.Cpu + _workers.Concat(_stopped).Aggregate(TimeSpan.Zero, (sum, w) => sum + w.Cpu);
            }
        }
    }

    /// <summary>Starts the gateway and <paramref name="workers"/> Workers processes against <paramref name="kafka"/>.</summary>
    public static async Task<KafkaServices> StartAsync(KafkaBenchOptions options, KafkaMockCluster kafka, int workers, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("somaagent-bench-kafka-");
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__kafka"] = kafka.BootstrapServers,
            ["ConnectionStrings__postgres"] = options.Store == StoreKind.Postgres ? options.PostgresConnectionString : null,
            ["ConnectionStrings__sqlite"] = options.Store == StoreKind.Sqlite ? $"Data Source={Path.Combine(folder.FullName, "somaagent.db")}" : null,
            ["SomaAgent__DataDirectory"] = folder.FullName,
            ["SomaAgent__Kafka__Partitions"] = options.Partitions.ToString(CultureInfo.InvariantCulture),
            ["SomaAgent__Kafka__ReplicationFactor"] = options.Replication.ToString(CultureInfo.InvariantCulture),
            ["SomaAgent__Kafka__FetchWaitMaxMs"] = options.FetchWaitMs > 0 ? options.FetchWaitMs.ToString(CultureInfo.InvariantCulture) : null,
            ["SomaAgent__Gateway__HostWorkers"] = "false",
            ["GATEWAY_REQUIRE_AUTH"] = "false",
            ["SomaAgent__Models__Simulated__TimePerTokenMs"] = options.TimePerTokenMs.ToString(CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = options.ServerLogLevel,
        };
        var services = new KafkaServices(options, folder, environment);
        try
        {
            services.Gateway = await ServiceProcess.StartAsync(
                "gateway", options.GatewayDll ?? ServiceProcess.BuiltDll("SomaAgent.Gateway"), environment, folder, ownsDataDirectory: false, cancellationToken);
            for (var i = 0; i < workers; i++)
            {
                await services.StartWorkerAsync(cancellationToken);
            }
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }
        return services;
    }

    public async Task StartWorkerAsync(CancellationToken cancellationToken)
    {
        var name = $"workers-{Interlocked.Increment(ref _started)}";
        var worker = await ServiceProcess.StartAsync(
            name, _options.WorkersDll ?? ServiceProcess.BuiltDll("SomaAgent.Workers"), _environment, Folder, ownsDataDirectory: false, cancellationToken);
        lock (_workers)
        {
            _workers.Add(worker);
        }
    }

    /// <summary>Stops the longest-running Workers process as an orchestrator does (SIGTERM): it hands its turns over.</summary>
    public async Task StopOldestWorkerAsync()
    {
        ServiceProcess oldest;
        lock (_workers)
        {
            oldest = _workers[0];
            _workers.RemoveAt(0);
            _stopped.Add(oldest);
        }
        await oldest.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers.ToList())
        {
            await worker.DisposeAsync();
        }
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }
    }
}
