using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace SomaAgent.Bench;

/// <summary>
/// A private redis-server for one bench run: loopback only, a free port, persistence off, a temp dir, stopped by
/// its own PID at the end. The same recipe as the tests' RedisServer fixture.
/// </summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    private static readonly string[] Binaries = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _root;
    private readonly int _port;
    private Process _process;

    private RedisProcess(Process process, DirectoryInfo root, int port)
    {
        _process = process;
        _root = root;
        _port = port;
        ConnectionString = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>StackExchange.Redis connection string, <c>127.0.0.1:port</c>.</summary>
    public string ConnectionString { get; }

    public int Pid => _process.Id;

    public static async Task<RedisProcess> StartAsync(CancellationToken cancellationToken)
    {
        var root = Directory.CreateTempSubdirectory("somaagent-bench-redis-");
        var port = ServiceProcess.FreeLoopbackPort();
        var redis = new RedisProcess(Launch(root, port), root, port);
        try
        {
            await redis.WaitReadyAsync(cancellationToken);
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
        return redis;
    }

    /// <summary>
    /// Kills the server (SIGKILL: it persists nothing, so everything it held is gone, as after a crash) and starts a
    /// new one on the same port after <paramref name="down"/>.
    /// </summary>
    public async Task RestartAsync(TimeSpan down, CancellationToken cancellationToken)
    {
        _process.Kill();
        await _process.WaitForExitAsync(cancellationToken);
        _process.Dispose();
        await Task.Delay(down, cancellationToken);
        _process = Launch(_root, _port);
        await WaitReadyAsync(cancellationToken);
    }

    private static Process Launch(DirectoryInfo root, int port)
    {
        var binary = Binaries.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("redis-server is missing; run eng/install-test-deps.sh (installs redis-server), then run the bench again.");
        var startInfo = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root.FullName,
        };
        foreach (var argument in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", root.FullName })
        {
            startInfo.ArgumentList.Add(argument);
        }
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {binary}.");
        // Drain the pipes so a chatty server never blocks on a full buffer.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        while (true)
        {
            try
            {
                await PingAsync();
                return;
            }
            catch (RedisConnectionException) when (!_process.HasExited)
            {
                await Task.Delay(50, timeout.Token);
            }
        }
    }

    /// <summary>Calls per command so far (<c>INFO commandstats</c>), e.g. <c>evalsha</c> → 1200.</summary>
    public async Task<Dictionary<string, long>> CommandCountsAsync()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"{ConnectionString},connectTimeout=2000,allowAdmin=true");
        var info = await connection.GetServers()[0].InfoAsync("commandstats");
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in info.SelectMany(group => group))
        {
            // cmdstat_get: calls=12,usec=34,...
            if (key.StartsWith("cmdstat_", StringComparison.Ordinal) && value.Split(',')[0] is var calls && calls.StartsWith("calls=", StringComparison.Ordinal))
            {
                counts[key["cmdstat_".Length..]] = long.Parse(calls["calls=".Length..], CultureInfo.InvariantCulture);
            }
        }
        return counts;
    }

    private async Task PingAsync()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"{ConnectionString},connectTimeout=2000");
        await connection.GetDatabase().PingAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGKILL by our own child's PID: fine for a server that persists nothing.
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is not worth failing the run over.
        }
    }
}
