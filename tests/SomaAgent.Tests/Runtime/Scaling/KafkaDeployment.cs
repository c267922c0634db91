using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SomaAgent.Engine.Conversations.Leases;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Storage;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Scaling;

/// <summary>
/// The containers topology in one test process: gateways that only queue turns, and worker hosts with the
/// roles the Workers service runs, all on one store and talking only over Kafka (librdkafka's mock cluster).
/// Each deployment has its own consumer-group prefix, so tests never share offsets.
/// </summary>
public sealed class KafkaDeployment : IAsyncDisposable
{
    private readonly KafkaMockCluster _kafka;
    private readonly Dictionary<string, string?> _settings;
    private readonly List<GatewayApp> _gateways = [];
    private readonly List<IHost> _workers = [];

    public KafkaDeployment(KafkaMockCluster kafka, IDictionary<string, string?>? settings = null)
    {
        _kafka = kafka;
        kafka.EnsureSomaAgentTopics();
        DatabaseFile = Path.Combine(Directory.CreateTempSubdirectory("somaagent-kafka-").FullName, "somaagent.db");
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
            ["SomaAgent:Kafka:GroupPrefix"] = $"{Guid.NewGuid():N}.",
            ["SomaAgent:Gateway:HostWorkers"] = "false",
            // The mock broker waits every fetch out (a real one answers when data arrives): keep each hop short.
            ["SomaAgent:Kafka:FetchWaitMaxMs"] = "10",
            // Short leases and sweeps keep takeovers inside a test's patience.
            ["SomaAgent:Conversations:LeaseSeconds"] = "3",
            ["SomaAgent:Conversations:SweepIntervalSeconds"] = "1",
            ["SomaAgent:Conversations:RedispatchAfterSeconds"] = "5",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string DatabaseFile { get; }

    public string BootstrapServers => _kafka.BootstrapServers;

    /// <summary>A gateway instance that queues turns for the workers and streams events it reads from Kafka.</summary>
    public GatewayApp AddGateway()
    {
        var gateway = new GatewayApp(DatabaseFile, settings: _settings);
        _ = gateway.Server;
        _gateways.Add(gateway);
        return gateway;
    }

    /// <summary>A worker host, as the Workers service runs it, with the given roles.</summary>
    public async Task<IHost> StartWorkerAsync(bool conversations = true, bool tools = true)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(_settings);
        builder.Configuration["ConnectionStrings:sqlite"] = $"Data Source={DatabaseFile}";
        // Its own files (the audit log) beside the database, never in the user's data home.
        builder.Configuration["SomaAgent:DataDirectory"] = Path.Combine(Path.GetDirectoryName(DatabaseFile)!, $"worker-{_workers.Count}");
        var bus = builder.AddSomaAgentEngine().UseKafkaOrInMemoryBus(builder.Configuration);
        if (conversations)
        {
            bus.AddConversationWorker();
        }
        if (tools)
        {
            bus.AddToolExecutor();
        }
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        _workers.Add(host);
        return host;
    }

    /// <summary>The worker host whose lease the session's running turn is under, once some worker has claimed it.</summary>
    public async Task<IHost> OwnerOfAsync(Guid sessionId, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            await using var db = OpenStore();
            var owner = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId).Select(s => s.LeaseOwner).SingleAsync(cancellationToken);
            if (_workers.FirstOrDefault(w => w.Services.GetService<WorkerIdentity>()?.Id == owner) is { } host)
            {
                return host;
            }
            await Task.Delay(20, cancellationToken);
        }
        throw new TimeoutException($"No worker claimed session {sessionId}.");
    }

    /// <summary>Stops a worker host the way an orchestrator stops a replica (SIGTERM: a graceful stop).</summary>
    public async Task StopWorkerAsync(IHost worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _workers.Remove(worker);
        await worker.StopAsync(TestContext.Current.CancellationToken);
        worker.Dispose();
    }

    public SqliteSessionDbContext OpenStore() =>
        new(new DbContextOptionsBuilder<SqliteSessionDbContext>().UseSqlite($"Data Source={DatabaseFile}").Options);

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.StopAsync(CancellationToken.None);
            worker.Dispose();
        }
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }
    }
}
