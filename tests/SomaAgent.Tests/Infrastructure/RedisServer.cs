using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// A private Redis 7 server for one test collection: started in the foreground on a random loopback port with
/// persistence off, in a temp dir, and stopped by its own PID on dispose. Tests keep apart by their own keys.
/// </summary>
/// <remarks>Recipe: shared TEST-SERVERS.md, section 1.</remarks>
public sealed class RedisServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly string[] Binaries = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];

    private DirectoryInfo? _root;
    private Process? _process;
    private string? _connectionString;

    /// <summary>StackExchange.Redis connection string (<c>127.0.0.1:port</c>), as Aspire would pass it.</summary>
    public string ConnectionString =>
        _connectionString ?? throw new InvalidOperationException("The Redis server has not been started.");

    public async ValueTask InitializeAsync()
    {
        var binary = Binaries.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "redis-server is missing. Run eng/install-test-deps.sh (installs postgresql and redis-server), then run the tests again.");

        _root = Directory.CreateTempSubdirectory("somaagent-redis-");
        var port = FreeLoopbackPort();
        var startInfo = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root.FullName,
        };
        foreach (var argument in new[]
        {
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", _root.FullName,
        })
        {
            startInfo.ArgumentList.Add(argument);
        }
        _process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {binary}.");
        // Drain the pipes so a chatty server never blocks on a full buffer.
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        _connectionString = $"127.0.0.1:{port}";
        using var timeout = new CancellationTokenSource(StartTimeout);
        while (true)
        {
            try
            {
                await using var connection = await ConnectAsync();
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (!timeout.IsCancellationRequested && !_process.HasExited)
            {
                await Task.Delay(50, timeout.Token);
            }
        }
    }

    /// <summary>A new client connection; the caller disposes it.</summary>
    public Task<ConnectionMultiplexer> ConnectAsync() =>
        ConnectionMultiplexer.ConnectAsync($"{ConnectionString},allowAdmin=true,connectTimeout=2000");

    /// <summary>Every key matching <paramref name="pattern"/> (Redis glob).</summary>
    public async Task<IReadOnlyList<string>> KeysAsync(string pattern)
    {
        await using var connection = await ConnectAsync();
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var keys = new List<string>();
        await foreach (var key in server.KeysAsync(pattern: pattern))
        {
            keys.Add(key.ToString());
        }
        return keys;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            // Kill() sends SIGKILL: fine for a server that persists nothing.
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        try
        {
            _root?.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir must not turn a green run red; /tmp is cleaned by the OS.
        }
    }

    /// <summary>A loopback port nothing listens on (at the moment of the call).</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Tests in this collection share one <see cref="RedisServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServer>
{
    public const string Name = "Redis";
}
