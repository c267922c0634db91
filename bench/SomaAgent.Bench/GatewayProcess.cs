using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SomaAgent.Bench;

/// <summary>
/// The gateway under test as a child process: its own temp data directory and a free loopback port, started
/// with <c>dotnet Gateway.dll</c>, awaited on <c>/health</c>, and stopped by its PID (SIGTERM, then SIGKILL).
/// Running it apart from the bench keeps the server's CPU separable from the load generator's.
/// </summary>
internal sealed partial class GatewayProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly DirectoryInfo _dataDirectory;
    private readonly StreamWriter _log;
    private bool _disposed;

    private GatewayProcess(Process process, DirectoryInfo dataDirectory, StreamWriter log, Uri baseAddress)
    {
        _process = process;
        _dataDirectory = dataDirectory;
        _log = log;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The child gateway's platform-admin key (its <c>SOMAAGENT_BOOTSTRAP_KEY</c>), which the bench sends.</summary>
    public required string ApiKey { get; init; }

    public int Pid => _process.Id;

    /// <summary>Exit code and shutdown time once stopped; null while running.</summary>
    public string? StopSummary { get; private set; }

    public static async Task<GatewayProcess> StartAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var dll = options.GatewayDll ?? Path.Combine(RepoRoot(), "src", "SomaAgent.Gateway", "bin", "Release", "net10.0", "SomaAgent.Gateway.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"Gateway not built: {dll} is missing. Run `dotnet build -c Release` (eng/bench.sh does) or pass --gateway-dll.");
        }

        var port = FreeLoopbackPort();
        var dataDirectory = Directory.CreateTempSubdirectory("somaagent-bench-");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.GetFullPath(dll) },
            WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(dll))!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var env = start.Environment;
        env["GATEWAY_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        // Authentication stays on, as in production: the child gets a fresh platform-admin key and the bench sends it.
        var apiKey = "sk-bench-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        env["SOMAAGENT_BOOTSTRAP_KEY"] = apiKey;
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["DOTNET_ENVIRONMENT"] = "Production";
        env["SomaAgent__DataDirectory"] = dataDirectory.FullName;
        env["SomaAgent__Models__Simulated__TimePerTokenMs"] = options.TimePerTokenMs.ToString(CultureInfo.InvariantCulture);
        env["Logging__LogLevel__Default"] = options.ServerLogLevel;
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = null;
        env["ConnectionStrings__sqlite"] = null;
        env["ConnectionStrings__postgres"] = options.Store == StoreKind.Postgres ? options.PostgresConnectionString : null;
        foreach (var (key, value) in options.ServerEnvironment)
        {
            env[key] = value;
        }

        var log = new StreamWriter(Path.Combine(dataDirectory.FullName, "gateway.log")) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => WriteLog(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var gateway = new GatewayProcess(process, dataDirectory, log, new Uri($"http://127.0.0.1:{port}/")) { ApiKey = apiKey };
        try
        {
            await gateway.WaitHealthyAsync(cancellationToken);
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
        return gateway;
    }

    /// <summary>The process's user + system CPU so far, from <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    public static TimeSpan ReadCpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces, so count fields from after its closing parenthesis:
        // there field 3 (state) is index 0, utime (14) index 11 and stime (15) index 12, in clock ticks.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        // /proc reports in USER_HZ, which the kernel fixes at 100 for user space on every Linux architecture.
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_process.HasExited)
        {
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
        _process.Dispose();
        await _log.DisposeAsync();
        try
        {
            _dataDirectory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless; the bench result stands.
        }
    }

    /// <summary>The last lines the gateway printed, for an error message.</summary>
    public string Tail(int lines)
    {
        var path = Path.Combine(_dataDirectory.FullName, "gateway.log");
        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
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
                throw new InvalidOperationException($"The gateway exited with code {_process.ExitCode} before it was healthy:\n{Tail(30)}");
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
                throw new TimeoutException($"The gateway was not healthy within {StartTimeout.TotalSeconds:0} s:\n{Tail(30)}");
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

    private static int FreeLoopbackPort()
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
        throw new InvalidOperationException("SomaAgent.sln not found above the bench's folder; pass --gateway-dll.");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
