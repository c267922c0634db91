using System.Collections;
using SomaAgent.Client;
using Spectre.Console;

namespace SomaAgent.Cli;

/// <summary>What the CLI reads and writes outside itself: the console, environment variables, the config file, HTTP.</summary>
/// <param name="interactive">Whether the error stream is a terminal, where progress is drawn live; elsewhere (CI logs, tests) it is written as plain lines.</param>
internal sealed class CliEnvironment(
    TextWriter output, TextWriter error, IReadOnlyDictionary<string, string?> variables, Func<HttpMessageHandler>? handler = null, bool interactive = false)
{
    public TextWriter Out => output;

    public TextWriter Error => error;

    /// <summary>Progress of long steps, on the error stream so that what scripts read (<c>--json</c>) stays clean.</summary>
    public IAnsiConsole Progress { get; } = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(error),
        Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
    });

    public string ConfigPath { get; } = CliConfig.DefaultPath(variables);

    public static CliEnvironment FromProcess() => new(System.Console.Out, System.Console.Error,
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal),
        interactive: !System.Console.IsErrorRedirected);

    public string? Variable(string name) => variables.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    /// <summary><c>SOMA_URL</c> and <c>SOMA_KEY</c> when both are set, else the saved login, else null.</summary>
    public CliConfig? Config() =>
        Variable("SOMA_URL") is { } url && Variable("SOMA_KEY") is { } key ? new CliConfig(url.TrimEnd('/') + "/", key) : CliConfig.Read(ConfigPath);

    public SomaAgentClient Client(CliConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var http = handler is null ? new HttpClient() : new HttpClient(handler());
        http.BaseAddress = new Uri(config.Url);
        // A session's stream lasts as long as its turn; requests are bounded by Ctrl+C.
        http.Timeout = Timeout.InfiniteTimeSpan;
        http.DefaultRequestHeaders.Authorization = new("Bearer", config.Key);
        return new SomaAgentClient(http);
    }
}
