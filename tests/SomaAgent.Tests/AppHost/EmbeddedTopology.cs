using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.AppHost;

/// <summary>Tests that share the one started embedded app (stopping it costs 11–13 s, so it runs once).</summary>
[CollectionDefinition(Name)]
public sealed class EmbeddedTopologyCollection : ICollectionFixture<EmbeddedTopology>
{
    public const string Name = "apphost-embedded";
}

/// <summary>
/// The whole embedded topology started through the AppHost: gateway on a free port with a temp data folder,
/// registry and web (the gateway runs the workers in-process), each healthy before any test runs. The AppHost's and the resources' logs are
/// kept, and their tail is part of the error when start-up fails.
/// </summary>
public sealed class EmbeddedTopology : IAsyncLifetime
{
    public static readonly string[] Services = ["gateway", "registry", "web"];
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromSeconds(60);
    // DCP launches each project with `dotnet run --no-build`: seconds on an idle machine, but 40–80 s were
    // measured on 2 cores while other builds ran. One budget covers start and health together.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("somaagent-apphost-");
    private readonly LogTail _logs = new();
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The embedded app is not started.");

    public int GatewayPort { get; } = FreePort();

    /// <summary>The AppHost's <c>bootstrap-key</c> parameter, random per run: the platform-admin key the gateway gets.</summary>
    public string BootstrapKey { get; } = "sk-test-apphost-" + Guid.NewGuid().ToString("N");

    public string DataDirectory => _data.FullName;

    /// <summary>The simulated model's pace in this topology (the AppHost passes it to the gateway and the workers).</summary>
    public const int TimePerTokenMs = 15;

    /// <summary>The OIDC issuer the topology's gateway trusts and its Web signs users in with.</summary>
    public OidcIssuer Oidc { get; } = new();

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await Oidc.InitializeAsync();
        var builder = await DistributedApplicationTestingBuilder
            .CreateAsync<Projects.SomaAgent_AppHost>(
                ["SomaAgent:Topology=embedded", $"SomaAgent:GatewayPort={GatewayPort}", $"SomaAgent:DataDirectory={DataDirectory}", $"Parameters:bootstrap-key={BootstrapKey}",
                 // A model that streams at a real one's pace, so a browser can catch a turn mid-answer.
                 $"SomaAgent:Models:Simulated:TimePerTokenMs={TimePerTokenMs}",
                 // Single sign-on through the tests' OIDC issuer (interactive login, tenant 'default').
                 $"OIDC_AUTHORITY={Oidc.Authority}"],
                ct)
            .WaitAsync(BuildTimeout, ct);
        builder.Services.AddLogging(logging => logging.AddProvider(_logs));
        _app = await builder.BuildAsync(ct).WaitAsync(BuildTimeout, ct);
        try
        {
            await StartHealthyAsync(_app, ct).WaitAsync(StartTimeout, ct);
        }
        catch (Exception ex)
        {
            var logs = _logs.ToString();
            await _app.DisposeAsync();
            _app = null;
            throw new InvalidOperationException($"The embedded topology did not get healthy. Last log lines:{Environment.NewLine}{logs}", ex);
        }

        static async Task StartHealthyAsync(DistributedApplication app, CancellationToken ct)
        {
            await app.StartAsync(ct);
            await Task.WhenAll(Services.Select(name => app.ResourceNotifications.WaitForResourceHealthyAsync(name, ct)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
        if (_data.Exists)
        {
            _data.Delete(recursive: true);
        }
        await Oidc.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Keeps the last lines the AppHost logs, resource logs included (Aspire.Hosting.Testing forwards them).</summary>
    private sealed class LogTail : ILoggerProvider
    {
        private const int Capacity = 200;
        private readonly ConcurrentQueue<string> _lines = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        public override string ToString() => string.Join(Environment.NewLine, _lines);

        private void Add(string line)
        {
            _lines.Enqueue(line);
            while (_lines.Count > Capacity && _lines.TryDequeue(out _))
            {
            }
        }

        private sealed class Logger(LogTail tail, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    tail.Add($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
                }
            }
        }
    }
}
