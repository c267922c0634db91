using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// A private PostgreSQL 15 cluster for one test collection: initdb into a temp dir, started on a random
/// loopback port with fsync off, stopped by its postmaster PID and deleted on dispose.
/// Each test calls <see cref="CreateDatabaseAsync"/> so it owns its data.
/// </summary>
/// <remarks>
/// Recipe: shared TEST-SERVERS.md, section 2. PostgreSQL refuses to run as root, so when the tests run
/// as root (CI, dev machines here) the server runs as the <c>postgres</c> user through <c>runuser</c> and
/// the temp dir is chowned to it; as any other user it runs as that user.
/// </remarks>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";
    private const string ServiceUser = "postgres";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly string _password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private DirectoryInfo? _root;
    private string? _connectionString;

    /// <summary>Connection string to the server's <c>postgres</c> database (superuser, over TCP).</summary>
    public string ConnectionString =>
        _connectionString ?? throw new InvalidOperationException("The PostgreSQL server has not been started.");

    private string DataDir => Path.Combine(_root!.FullName, "data");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(Path.Combine(PgBin, "pg_ctl")))
        {
            throw new InvalidOperationException(
                $"PostgreSQL 15 server binaries are missing ({PgBin}/pg_ctl not found). " +
                "Run eng/install-test-deps.sh (installs postgresql and redis-server), then run the tests again.");
        }

        using var timeout = new CancellationTokenSource(StartTimeout);
        var ct = timeout.Token;

        // Under /tmp: files below root's home are not readable by the postgres user.
        _root = Directory.CreateTempSubdirectory("somaagent-pg-");
        var passwordFile = Path.Combine(_root.FullName, "pw");
        await File.WriteAllTextAsync(passwordFile, _password, ct);
        if (Environment.IsPrivilegedProcess)
        {
            await RunAsync("chown", ["-R", $"{ServiceUser}:", _root.FullName], ct);
        }

        await RunPgAsync("initdb",
            ["-D", DataDir, "-U", "postgres", "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C.UTF-8"],
            ct);

        var port = FreeLoopbackPort();
        // The socket dir is the temp dir: nothing is written to /var/run/postgresql. max_connections is raised
        // because every test database gets its own Npgsql pool.
        var serverOptions = $"-c listen_addresses=127.0.0.1 -p {port} -k {_root.FullName} -c fsync=off " +
                            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        try
        {
            await RunPgAsync("pg_ctl",
                ["-D", DataDir, "-l", Path.Combine(_root.FullName, "pg.log"), "-w", "-t", "30", "-o", serverOptions, "start"],
                ct);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException($"{ex.Message}\n--- pg.log ---\n{ReadServerLog()}", ex);
        }

        _connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Password = _password,
            Database = "postgres",
        }.ConnectionString;
    }

    /// <summary>
    /// Creates an empty database named <paramref name="prefix"/> plus a unique suffix and returns a
    /// connection string to it.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);

        // Identifiers are at most 63 bytes; keep the prefix readable and the suffix unique.
        var safePrefix = new string([.. prefix.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
        var name = $"{safePrefix[..Math.Min(safePrefix.Length, 30)]}_{Guid.NewGuid():N}";

        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The name is built above from [a-z0-9_] only; CREATE DATABASE takes no parameters.
            command.CommandText = $"CREATE DATABASE \"{name}\"";
#pragma warning restore CA2100
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_root is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
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

    /// <summary>Fast shutdown (SIGINT) of the postmaster named in postmaster.pid; SIGKILL if it hangs.</summary>
    private async Task StopServerAsync()
    {
        var pidFile = Path.Combine(DataDir, "postmaster.pid");
        if (!File.Exists(pidFile) ||
            !int.TryParse((await File.ReadAllLinesAsync(pidFile)).FirstOrDefault(), out var pid))
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
            await RunAsync("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], CancellationToken.None);
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
        var log = Path.Combine(_root!.FullName, "pg.log");
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
            WorkingDirectory = _root?.FullName ?? Path.GetTempPath(),
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
                .Append(Describe(fileName, arguments)).Append(" exited with ").Append(process.ExitCode).AppendLine()
                .AppendLine(await stdout).Append(await stderr);
            throw new InvalidOperationException(message.ToString());
        }
    }

    private static string Describe(string fileName, IReadOnlyList<string> arguments) =>
        $"`{fileName} {string.Join(' ', arguments)}`";
}

/// <summary>Tests in this collection share one <see cref="PostgresServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
