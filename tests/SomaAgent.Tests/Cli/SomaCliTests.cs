using System.Text.Json;
using SomaAgent.Cli;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Cli;

/// <summary>The <c>soma</c> command line, run in-process against the real gateway as a user would type it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SomaCliTests(SharedGateway gateway) : IDisposable
{
    private readonly DirectoryInfo _home = Directory.CreateTempSubdirectory("somaagent-cli-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string ConfigPath => new SomaRunner(() => gateway.App.Server.CreateHandler(), _home.FullName).ConfigPath;

    public void Dispose() => _home.Delete(recursive: true);

    [Fact]
    public async Task Login_checks_the_key_and_keeps_it_readable_by_the_user_only()
    {
        var (code, output, _) = await RunAsync("login", "--url", "http://localhost", "--key", GatewayApp.BootstrapKey);

        code.ShouldBe(0);
        output.ShouldContain("of tenant default");
        File.ReadAllText(ConfigPath).ShouldContain(GatewayApp.BootstrapKey);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(ConfigPath).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_the_problem_and_nothing_is_saved()
    {
        var (code, _, error) = await RunAsync("login", "--url", "http://localhost", "--key", "sk-not-a-real-key-0123456789abcdef0123456789");

        code.ShouldBe(1);
        error.ShouldContain("401");
        error.ShouldContain("urn:somaagent:problem:unauthorized");
        File.Exists(ConfigPath).ShouldBeFalse();
    }

    [Fact]
    public async Task Without_a_login_commands_say_how_to_log_in_and_exit_3()
    {
        var (code, _, error) = await RunAsync("keys", "list");

        code.ShouldBe(3);
        error.ShouldContain("soma login");
    }

    [Fact]
    public async Task A_wrong_command_line_exits_2()
    {
        (await RunAsync("keys", "create")).Code.ShouldBe(2);
    }

    [Fact]
    public async Task Keys_are_created_listed_and_revoked_with_JSON_for_scripts()
    {
        await LoginAsync();

        var (created, createdJson, _) = await RunAsync("keys", "create", "ci-bot", "--scope", "sessions:read", "--json");
        var id = JsonDocument.Parse(createdJson).RootElement.GetProperty("key").GetProperty("id").GetGuid();
        var (revoked, _, _) = await RunAsync("keys", "revoke", id.ToString());
        var (listed, listJson, _) = await RunAsync("keys", "list", "--json");

        (created, revoked, listed).ShouldBe((0, 0, 0));
        JsonDocument.Parse(createdJson).RootElement.GetProperty("secret").GetString()!.ShouldStartWith("sk");
        var key = JsonDocument.Parse(listJson).RootElement.GetProperty("data").EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == id);
        key.GetProperty("revoked_at").ValueKind.ShouldNotBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Session_run_streams_the_answer_and_shows_the_tool_call_as_it_happens()
    {
        await LoginAsync();

        var (code, output, _) = await RunAsync("session", "run", "What is 6*7?");

        code.ShouldBe(0);
        output.ShouldContain("[tool] calculator {\"expression\":\"6*7\"}");
        output.ShouldContain("[tool] calculator -> ");
        output.ShouldContain("6*7 = 42.");
        output.IndexOf("[tool] calculator {", StringComparison.Ordinal).ShouldBeLessThan(output.IndexOf("6*7 = 42.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Session_run_with_json_prints_one_event_per_line()
    {
        await LoginAsync();

        var (code, output, _) = await RunAsync("session", "run", "hello", "--json");

        code.ShouldBe(0);
        var events = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        events.Select(e => e.GetProperty("sequence").GetInt64()).ShouldBe(Enumerable.Range(1, events.Count).Select(i => (long)i));
        events[^1].GetProperty("type").GetString().ShouldBe("status");
    }

    private async Task LoginAsync() =>
        (await RunAsync("login", "--url", "http://localhost", "--key", GatewayApp.BootstrapKey)).Code.ShouldBe(0);

    private Task<SomaRun> RunAsync(params string[] args) => new SomaRunner(() => gateway.App.Server.CreateHandler(), _home.FullName).RunAsync(args);
}
