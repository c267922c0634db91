using System.Diagnostics;
using System.Text;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// A test server that runs on node from a folder of the source tree (its packages installed there by
/// <c>eng/install-test-deps.sh</c>, or by <see cref="StartAsync"/> on first use): started on a loopback port, ready
/// once it prints its ready line, and killed (only this process) on dispose.
/// </summary>
internal sealed class NodeServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] NodeBinaries = ["/usr/bin/node", "/usr/local/bin/node"];

    private readonly StringBuilder _output = new();
    private readonly Process _process;

    private NodeServer(Process process) => _process = process;

    /// <summary>What the server printed so far, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Runs <c>node</c> with <paramref name="arguments"/> in <paramref name="directory"/> (after <c>npm ci</c> there when
    /// <paramref name="package"/> is not installed) and returns once it prints a line starting with <paramref name="readyLine"/>;
    /// the rest of that line is the second value.
    /// </summary>
    public static async Task<(NodeServer Server, string ReadyRest)> StartAsync(string directory, string package, string readyLine, params string[] arguments)
    {
        var node = await PrepareAsync(directory, package);
        var startInfo = new ProcessStartInfo(node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {node}.");
        var server = new NodeServer(process);
        process.OutputDataReceived += (_, e) =>
        {
            server.Append(e.Data);
            if (e.Data?.StartsWith(readyLine, StringComparison.Ordinal) == true)
            {
                ready.TrySetResult(e.Data[readyLine.Length..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"{package} exited before it was ready:\n{server.Output}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            return (server, await ready.Task.WaitAsync(StartTimeout));
        }
        catch (TimeoutException)
        {
            await server.DisposeAsync();
            throw new TimeoutException($"{package} printed no ready line within {StartTimeout}:\n{server.Output}");
        }
    }

    /// <summary>Runs a node script of <paramref name="directory"/> to its end (at most 60 s): its exit code and what it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string directory, string package, params string[] arguments) =>
        await CommandLine.RunAsync(await PrepareAsync(directory, package), directory, arguments);

    /// <summary>The node binary, with <paramref name="package"/> installed in <paramref name="directory"/> (npm ci when it is not).</summary>
    private static async Task<string> PrepareAsync(string directory, string package)
    {
        var node = NodeBinaries.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("node is missing. Run eng/install-test-deps.sh (installs nodejs and npm, then the test servers' packages).");
        if (!Directory.Exists(Path.Combine(directory, "node_modules", package)))
        {
            await RunNpmCiAsync(directory);
        }
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static async Task RunNpmCiAsync(string directory)
    {
        var startInfo = new ProcessStartInfo("npm") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        foreach (var argument in new[] { "ci", "--no-audit", "--no-fund" })
        {
            startInfo.ArgumentList.Add(argument);
        }
        using var npm = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start npm; run eng/install-test-deps.sh.");
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await npm.WaitForExitAsync(timeout.Token);
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {directory} failed ({npm.ExitCode}):\n{await output}\n{await errors}");
        }
    }
}
