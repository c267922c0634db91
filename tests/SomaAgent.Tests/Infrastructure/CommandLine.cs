using System.Diagnostics;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>Runs a program of this machine or a script of the repository to its end, as CI would.</summary>
internal static class CommandLine
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <paramref name="program"/> in <paramref name="directory"/> (at most 60 s): its exit code and what it printed, stdout then stderr.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(string program, string directory, params string[] arguments) =>
        RunAsync(program, directory, new Dictionary<string, string>(), arguments);

    /// <summary>As <see cref="RunAsync(string, string, string[])"/>, with <paramref name="environment"/> added to this process's own.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(string program, string directory, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        RunAsync(program, directory, environment, DefaultTimeout, arguments);

    /// <summary>As <see cref="RunAsync(string, string, string[])"/>, given up to <paramref name="timeout"/> (a long benchmark smoke run).</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(string program, string directory, TimeSpan timeout, params string[] arguments) =>
        RunAsync(program, directory, new Dictionary<string, string>(), timeout, arguments);

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string program, string directory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not end within {timeout}.");
        }
        return (process.ExitCode, await output + await error);
    }
}
