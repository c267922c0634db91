using SomaAgent.Cli;

namespace SomaAgent.Tests.Cli;

/// <summary>What one <c>soma</c> command did: its exit code, standard output and standard error.</summary>
public sealed record SomaRun(int Code, string Output, string Error);

/// <summary>
/// Runs <c>soma</c> in-process as a user types it, with its config file in <paramref name="home"/> and its HTTP sent
/// to a real gateway's in-memory server.
/// </summary>
public sealed class SomaRunner(Func<HttpMessageHandler> gateway, string home)
{
    public string ConfigPath => Path.Combine(home, "soma", "config.json");

    public async Task<SomaRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, new Dictionary<string, string?> { ["SOMA_CONFIG"] = ConfigPath }, gateway);
        var code = await new SomaCli(environment).RunAsync(args, TestContext.Current.CancellationToken);
        return new SomaRun(code, output.ToString(), error.ToString());
    }
}
