using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SomaAgent.Bench;

/// <summary>
/// A SomaAgent service under test as a child process (<c>dotnet Service.dll</c>) on a free loopback port,
/// awaited on <c>/health</c>, stopped by its PID (SIGTERM, then SIGKILL), its output kept in a log file of its
/// data directory. Running services apart from the bench keeps their CPU separable from the load generator's.
/// </summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly DirectoryInfo _dataDirectory;
    private bool _ownsDataDirectory;
    private readonly string _logPath;
    private readonly StreamWriter _log;
    private TimeSpan? _cpuAtStop;
    private string _dll = "";
    private bool _disposed;

    private ServiceProcess(string name, Process process, DirectoryInfo dataDirectory, bool ownsDataDirectory, string logPath, StreamWriter log, Uri baseAddress)
    {
        Name = name;
        _process = process;
        _dataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        _logPath = logPath;
        _log = log;
        BaseAddress = baseAddress;
    }

    public string Name { get; }

    /// <summary>The file the process's output goes to, line by line.</summary>
    public string LogPath => _logPath;

    public Uri BaseAddress { get; }

    /// <summary>The platform-admin key the bench sends (a gateway with authentication on); null when none.</summary>
    public string? ApiKey { get; private set; }

    /// <summary>What every service of the run is started with (the gateway's environment without its bootstrap key).</summary>
    public IReadOnlyDictionary<string, string?> SharedEnvironment { get; private set; } = new Dictionary<string, string?>();

    public int Pid => _process.Id;

    /// <summary>Exit code and shutdown time once stopped; null while running.</summary>
    public string? StopSummary { get; private set; }

    /// <summary>CPU the process has used so far; once stopped, what it had used when asked to stop.</summary>
    public TimeSpan Cpu => _cpuAtStop ?? ReadCpu(Pid);

    /// <summary>
    /// The gateway the default scenario drives, started the way a user starts it: <c>dotnet SomaAgent.Gateway.dll</c>
    /// from an empty working folder, Development environment, default settings (its data in its data home, here a
    /// temp folder as <c>XDG_DATA_HOME</c>), authentication on with a bootstrap key, the chosen store. With
    /// <paramref name="kafka"/> it is the production shape's gateway: it hosts no workers and talks to them over Kafka.
    /// </summary>
    public static async Task<ServiceProcess> StartGatewayAsync(BenchOptions options, CancellationToken cancellationToken, string? redis = null, string? kafka = null)
    {
        var dll = options.GatewayDll ?? BuiltDll("SomaAgent.Gateway");
        var dataDirectory = Directory.CreateTempSubdirectory("somaagent-bench-");
        var workingDirectory = dataDirectory.CreateSubdirectory("cwd");
        // Authentication stays on, as in production: the child gets a fresh platform-admin key and the bench sends it.
        var apiKey = "sk-bench-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var env = new Dictionary<string, string?>
        {
            ["XDG_DATA_HOME"] = dataDirectory.CreateSubdirectory("home").FullName,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["SomaAgent__Models__Simulated__TimePerTokenMs"] = options.TimePerTokenMs == 0 ? null : options.TimePerTokenMs.ToString(CultureInfo.InvariantCulture),
            ["SomaAgent__Models__Simulated__TimeToFirstTokenMs"] = options.TimeToFirstTokenMs == 0 ? null : options.TimeToFirstTokenMs.ToString(CultureInfo.InvariantCulture),
            ["SomaAgent__Models__Simulated__ToolCallPauseMs"] = options.ToolCallPauseMs == 0 ? null : options.ToolCallPauseMs.ToString(CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = options.ServerLogLevel,
            ["ConnectionStrings__postgres"] = options.Store == StoreKind.Postgres ? options.PostgresConnectionString : null,
            ["ConnectionStrings__redis"] = redis,
        };
        if (kafka is not null)
        {
            env["ConnectionStrings__kafka"] = kafka;
            env["SomaAgent__Gateway__HostWorkers"] = "false";
            env["SomaAgent__Kafka__Partitions"] = options.Partitions.ToString(CultureInfo.InvariantCulture);
            // The mock broker always waits a fetch out (shared ENVIRONMENT.md); a real one answers when data arrives.
            env["SomaAgent__Kafka__FetchWaitMaxMs"] = "10";
        }
        foreach (var (key, value) in options.ServerEnvironment)
        {
            env[key] = value;
        }
        var gateway = await StartAsync("gateway", dll, new Dictionary<string, string?>(env) { ["SOMAAGENT_BOOTSTRAP_KEY"] = apiKey }, dataDirectory, ownsDataDirectory: true, cancellationToken, workingDirectory: workingDirectory.FullName);
        gateway.ApiKey = apiKey;
        gateway.SharedEnvironment = env;
        gateway._dll = dll;
        return gateway;
    }

    /// <summary>Another gateway beside <paramref name="gateway"/>: the same store, Redis, Kafka and key, its own port.</summary>
    public static Task<ServiceProcess> StartGatewayReplicaAsync(ServiceProcess gateway, string name, CancellationToken cancellationToken) =>
        StartAsync(name, gateway._dll, gateway.SharedEnvironment, gateway._dataDirectory, ownsDataDirectory: false, cancellationToken);

    /// <summary>
    /// A Workers process beside <paramref name="gateway"/>: the same store, Redis, Kafka and model settings, and the
    /// same data home; its log goes next to the gateway's.
    /// </summary>
    public static Task<ServiceProcess> StartWorkersAsync(ServiceProcess gateway, string name, CancellationToken cancellationToken, string? dll = null) =>
        StartAsync(name, dll ?? BuiltDll("SomaAgent.Workers"), gateway.SharedEnvironment, gateway._dataDirectory, ownsDataDirectory: false, cancellationToken);

    /// <summary>
    /// Starts <paramref name="dll"/> on a free loopback port (<c>GATEWAY_PORT</c> and <c>ASPNETCORE_URLS</c>) in
    /// Production, with telemetry export off, and waits until <c>/health</c> answers 200.
    /// </summary>
    /// <param name="port">The port to listen on; default a free one.</param>
    /// <param name="workingDirectory">Where it runs (its content root); default the dll's folder.</param>
    public static async Task<ServiceProcess> StartAsync(
        string name, string dll, IReadOnlyDictionary<string, string?> environment, DirectoryInfo dataDirectory, bool ownsDataDirectory, CancellationToken cancellationToken,
        int? port = null, string? workingDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(dataDirectory);
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{name} not built: {dll} is missing. Run `dotnet build -c Release` (eng/bench.sh does).");
        }

        port ??= FreeLoopbackPort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.GetFullPath(dll) },
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(Path.GetFullPath(dll))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var env = start.Environment;
        env["GATEWAY_PORT"] = port.Value.ToString(CultureInfo.InvariantCulture);
        env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["DOTNET_ENVIRONMENT"] = "Production";
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = null;
        env["ConnectionStrings__sqlite"] = null;
        foreach (var (key, value) in environment)
        {
            env[key] = value;
        }

        var logPath = Path.Combine(dataDirectory.FullName, $"{name}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => WriteLog(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var service = new ServiceProcess(name, process, dataDirectory, ownsDataDirectory, logPath, log, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await service.WaitHealthyAsync(cancellationToken);
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
        return service;
    }

    /// <summary>A service built in Release next to the bench: <c>src/&lt;project&gt;/bin/Release/net10.0/&lt;project&gt;.dll</c>.</summary>
    public static string BuiltDll(string project) =>
        Path.Combine(RepoRoot(), "src", project, "bin", "Release", "net10.0", project + ".dll");

    /// <summary>The process's user + system CPU so far, from <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    public static TimeSpan ReadCpu(int pid) => ProcessCpu.Read(pid);

    /// <summary>Leaves the data directory (the store, every service's log) in place when the process stops, for a look after a failed run.</summary>
    public void KeepDataDirectory() => _ownsDataDirectory = false;

    /// <summary>Kills the process at once (SIGKILL), as a crashed node or an out-of-memory kill would: no handover, no flush.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        _cpuAtStop = ReadCpu(_process.Id);
        _process.Kill();
        await _process.WaitForExitAsync(CancellationToken.None);
        StopSummary = "killed (SIGKILL)";
    }

    /// <summary>Stops the process (SIGTERM, SIGKILL after 15 s) and removes its data directory if it owns it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_process.HasExited)
        {
            _cpuAtStop = ReadCpu(_process.Id);
            var watch = Stopwatch.StartNew();
            _ = Kill(_process.Id, SigTerm);
            using var stop = new CancellationTokenSource(StopTimeout);
            try
            {
                await _process.WaitForExitAsync(stop.Token);
                StopSummary = $"stopped by SIGTERM in {watch.Elapsed.TotalSeconds:0.00} s, exit code {_process.ExitCode}";
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
                StopSummary = $"did not stop within {StopTimeout.TotalSeconds:0} s of SIGTERM; killed";
            }
        }
        else
        {
            _cpuAtStop ??= TimeSpan.Zero;
        }
        _process.Dispose();
        await _log.DisposeAsync();
        if (_ownsDataDirectory)
        {
            try
            {
                _dataDirectory.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A temp directory left behind is harmless; the bench result stands.
            }
        }
    }

    /// <summary>The last lines the process printed, for an error message.</summary>
    public string Tail(int lines)
    {
        using var reader = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var text = new StreamReader(reader);
        var all = text.ReadToEnd().Split('\n');
        return string.Join('\n', all.TakeLast(lines));
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartTimeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The {Name} exited with code {_process.ExitCode} before it was healthy:\n{Tail(30)}");
            }
            try
            {
                using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!deadline.IsCancellationRequested)
            {
                // One probe timed out; try again.
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The {Name} was not healthy within {StartTimeout.TotalSeconds:0} s:\n{Tail(30)}");
            }
        }
    }

    private static void WriteLog(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
        }
    }

    /// <summary>A port nothing listens on right now, on loopback.</summary>
    internal static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SomaAgent.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("SomaAgent.sln not found above the bench's folder; pass the service's dll explicitly.");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
