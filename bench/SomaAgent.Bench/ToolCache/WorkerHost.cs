using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SomaAgent.Engine.Tools;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Bench.ToolCache;

/// <summary>
/// One simulated tool-executor worker: the real engine (<c>AddSomaAgentEngine</c>) in-process, with its own
/// SQLite file, its own HybridCache memory level and, when given, Redis as the second level every host shares.
/// </summary>
internal sealed class WorkerHost : IAsyncDisposable
{
    private readonly IHost _host;

    private WorkerHost(IHost host, SecondLevelReads? secondLevel)
    {
        _host = host;
        SecondLevel = secondLevel;
        Executor = host.Services.GetRequiredService<ToolExecutor>();
    }

    public ToolExecutor Executor { get; }

    /// <summary>This host's reads of Redis; null without Redis.</summary>
    public SecondLevelReads? SecondLevel { get; }

    public static async Task<WorkerHost> StartAsync(int index, DirectoryInfo dataDirectory, string? redis, CancellationToken cancellationToken)
    {
        // No defaults: environment variables and appsettings.json must not slip a Kafka or Redis address into a bench.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ContentRootPath = dataDirectory.FullName,
            EnvironmentName = Environments.Production,
        });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:sqlite"] = $"Data Source={Path.Combine(dataDirectory.FullName, $"worker-{index}.db")}",
        };
        if (redis is not null)
        {
            settings["ConnectionStrings:redis"] = redis;
        }
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true);
        builder.AddSomaAgentEngine().UseInMemoryBus();
        var secondLevel = redis is null ? null : new SecondLevelReads();
        secondLevel?.Observe(builder.Services);

        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new WorkerHost(host, secondLevel);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
