using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SomaAgent.TestServers;

/// <summary>
/// A private PostgreSQL 15 cluster: initdb into a temp dir, started on a random loopback port with fsync off, stopped
/// by its postmaster PID and deleted on dispose. <see cref="RestartAsync"/> stops it as a crash would and starts it
/// again on the same port and data, so clients see their connections drop and the server come back.
/// </summary>
/// <remarks>
/// Recipe: shared TEST-SERVERS.md, section 2. PostgreSQL refuses to run as root, so when this runs as root (CI, dev
/// machines here) the server runs as the <c>postgres</c> user through <c>runuser</c> and the temp dir is chowned to it;
/// as any other user it runs as that user.
/// </remarks>
public sealed class PostgresProcess : IAsyncDisposable
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";
    private const string ServiceUser = "postgres";
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly DirectoryInfo _root;
    private readonly int _port;
    private readonly bool _durableCommits;

    private PostgresProcess(DirectoryInfo root, int port, string password, bool durableCommits)
    {
        _root = root;
        _port = port;
        _durableCommits = durableCommits;
        ConnectionString = $"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Password={password};Database=postgres";
    }

    /// <summary>Connection string to the server's <c>postgres</c> database (superuser, over TCP).</summary>
    public string ConnectionString { get; }

    /// <summary>The postmaster's PID (its backends are its children); changes with every restart.</summary>
    public int Pid => ReadPid() ?? throw new InvalidOperationException("The PostgreSQL server is not running.");

    private string DataDir => Path.Combine(_root.FullName, "data");

    /// <summary>Creates and starts the cluster; <paramref name="maxConnections"/> bounds its backends.</summary>
    /// <param name="durableCommits">
    /// Wait for each commit's WAL to be written before answering (<c>synchronous_commit=on</c>, as a deployment runs).
    /// Off by default for speed: then a crash (<see cref="RestartAsync"/>) can lose the last commits it already confirmed.
    /// fsync stays off either way: the operating system, which keeps what was written, does not crash here.
    /// </param>
    public static async Task<PostgresProcess> StartAsync(CancellationToken cancellationToken, int maxConnections = 300, bool durableCommits = false)
    {
        if (!File.Exists(Path.Combine(PgBin, "pg_ctl")))
        {
            throw new InvalidOperationException(
                $"PostgreSQL 15 server binaries are missing ({PgBin}/pg_ctl not found). " +
                "Run eng/install-test-deps.sh (installs postgresql and redis-server), then try again.");
        }

        // Under /tmp: files below root's home are not readable by the postgres user.
        var root = Directory.CreateTempSubdirectory("somaagent-pg-");
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var server = new PostgresProcess(root, FreeLoopbackPort(), password, durableCommits);
        var passwordFile = Path.Combine(root.FullName, "pw");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        if (Environment.IsPrivilegedProcess)
        {
            await server.RunAsync("chown", ["-R", $"{ServiceUser}:", root.FullName], cancellationToken);
        }
        await server.RunPgAsync("initdb",
            ["-D", server.DataDir, "-U", "postgres", "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C.UTF-8"],
            cancellationToken);
        await server.StartServerAsync(maxConnections, cancellationToken);
        return server;
    }

    /// <summary>
    /// Stops the server at once (<c>pg_ctl stop -m immediate</c>: no checkpoint, every connection cut, as a crash)
    /// and starts it again after <paramref name="down"/>; it recovers from its write-ahead log.
    /// </summary>
    public async Task RestartAsync(TimeSpan down, CancellationToken cancellationToken, int maxConnections = 300)
    {
        await RunPgAsync("pg_ctl", ["-D", DataDir, "-m", "immediate", "-w", "stop"], cancellationToken);
        await Task.Delay(down, cancellationToken);
        await StartServerAsync(maxConnections, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopServerAsync();
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir must not turn a green run red; /tmp is cleaned by the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task StartServerAsync(int maxConnections, CancellationToken cancellationToken)
    {
        // The socket dir is the temp dir: nothing is written to /var/run/postgresql.
        var serverOptions = $"-c listen_addresses=127.0.0.1 -p {_port.ToString(CultureInfo.InvariantCulture)} -k {_root.FullName} -c fsync=off " +
                            $"-c synchronous_commit={(_durableCommits ? "on" : "off")} -c full_page_writes=off -c max_connections={maxConnections.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            await RunPgAsync("pg_ctl",
                ["-D", DataDir, "-l", Path.Combine(_root.FullName, "pg.log"), "-w", "-t", "30", "-o", serverOptions, "start"],
                cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"{ex.Message}\n--- pg.log ---\n{ReadServerLog()}", ex);
        }
    }

    private int? ReadPid()
    {
        var pidFile = Path.Combine(DataDir, "postmaster.pid");
        try
        {
            return int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task StopServerAsync()
    {
        if (ReadPid() is not { } pid)
        {
            return;
        }
        Process postmaster;
        try
        {
            postmaster = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return; // Already gone.
        }

        using (postmaster)
        {
            // .NET can only send SIGKILL; kill(1) sends the fast-shutdown signal.
            await RunAsync("kill", ["-INT", pid.ToString(CultureInfo.InvariantCulture)], CancellationToken.None);
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await postmaster.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                postmaster.Kill(entireProcessTree: true);
            }
        }
    }

    private string ReadServerLog()
    {
        var log = Path.Combine(_root.FullName, "pg.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a PostgreSQL binary as the postgres user when we are root (postgres refuses root).</summary>
    private Task RunPgAsync(string tool, IReadOnlyList<string> arguments, CancellationToken ct) =>
        Environment.IsPrivilegedProcess
            ? RunAsync("runuser", ["-u", ServiceUser, "--", Path.Combine(PgBin, tool), .. arguments], ct)
            : RunAsync(Path.Combine(PgBin, tool), arguments, ct);

    private async Task RunAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Running from a directory the postgres user cannot enter prints "could not change directory".
            WorkingDirectory = _root.FullName,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            var message = new StringBuilder()
                .Append(CultureInfo.InvariantCulture, $"`{fileName} {string.Join(' ', arguments)}` exited with {process.ExitCode}").AppendLine()
                .AppendLine(await stdout).Append(await stderr);
            throw new InvalidOperationException(message.ToString());
        }
    }
}
