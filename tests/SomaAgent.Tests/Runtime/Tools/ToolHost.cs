using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SomaAgent.Engine.Tools;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Tests.Runtime.Tools;

/// <summary>
/// A tool executor on its own: the runtime's tool execution services (pipelines, cache, executor) over the
/// given tools and settings, started so that options are validated as in a service.
/// </summary>
public sealed class ToolHost : IAsyncDisposable
{
    private readonly IHost _host;

    private ToolHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public static async Task<ToolHost> StartAsync(
        IEnumerable<AgentTool> tools,
        IDictionary<string, string?>? settings = null,
        TimeProvider? time = null,
        ILoggerProvider? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Its own files (the audit log) in a folder of its own, never in the user's data home.
        builder.Configuration["SomaAgent:DataDirectory"] = Directory.CreateTempSubdirectory("somaagent-tools-").FullName;
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        if (logs is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        }
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }
        foreach (var tool in tools)
        {
            builder.Services.AddSingleton(tool);
        }
        builder.Services.AddSingleton<ToolCatalog>();
        builder.AddToolExecution();
        var host = builder.Build();
        try
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new ToolHost(host);
    }

    /// <summary>Runs one call exactly as the tool executor receives it from the bus.</summary>
    public Task<ToolCallCompleted> RunAsync(string tool, string argumentsJson = "{}", string tenant = "tenant-a") =>
        _host.Services.GetRequiredService<ToolExecutor>().ExecuteAsync(new ToolCallRequested
        {
            SessionId = Guid.NewGuid(),
            TenantId = tenant,
            CallId = $"call_{Guid.NewGuid():N}",
            ToolName = tool,
            ArgumentsJson = argumentsJson,
        }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}

/// <summary>
/// A test tool that counts its invocations and behaves, on each one, as its script says. The script gets the
/// invocation number (from 1), the <c>x</c> argument and the attempt's cancellation token.
/// </summary>
public sealed class ScriptedTool
{
    private int _invocations;

    public ScriptedTool(
        string name,
        Func<int, string?, CancellationToken, Task<string>> script,
        bool retryable = true,
        TimeSpan? timeout = null,
        TimeSpan? cacheFor = null)
    {
        Tool = new AgentTool(
            AIFunctionFactory.Create(
                (string? x = null, string? y = null, CancellationToken cancellationToken = default) =>
                    script(Interlocked.Increment(ref _invocations), x, cancellationToken),
                name,
                "A scripted test tool."),
            "test",
            timeout ?? TimeSpan.FromSeconds(5))
        {
            Retryable = retryable,
            ResultCacheDuration = cacheFor,
        };
    }

    public AgentTool Tool { get; }

    public string Name => Tool.Name;

    public int Invocations => Volatile.Read(ref _invocations);

    /// <summary>A tool that answers <c>x</c> and the invocation number, e.g. <c>"7#1"</c>.</summary>
    public static ScriptedTool Echo(string name, TimeSpan? cacheFor = null) =>
        new(name, (n, x, _) => Task.FromResult($"{x}#{n}"), cacheFor: cacheFor);
}

/// <summary>Keeps every log message written at any level, with its category and level.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly List<(string Category, LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (logs._entries)
            {
                logs._entries.Add((category, logLevel, formatter(state, exception)));
            }
        }
    }
}
