using SomaAgent.Cli;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Gateway.Registry;
using static SomaAgent.Tests.Registry.Signing.ExternalVerifiers;

namespace SomaAgent.Tests.Cli;

/// <summary>
/// A publisher's path with <c>soma capsule</c> against a gateway forwarding to a real Registry: a key pair, a package,
/// a signature openssl accepts, a publish that registers the key, an install, and a session that answers with the
/// capsule's tool.
/// </summary>
[Collection(ForwardingCollection.Name)]
public sealed class SomaCapsuleCliTests(ForwardingGateway apps) : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("somaagent-capsule-cli-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public async Task Keygen_pack_sign_publish_install_and_run_a_session_with_the_capsule()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var folder = Directory.CreateDirectory(Path.Combine(_work.FullName, name)).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "capsule.yaml"),
            $"name: {name}\nversion: 1.0.0\ndescription: Sums for the CLI test.\npublisher: Acme Labs\nsystem_prompt: You add up.\ntools:\n  builtin: [calculator]\nreadme: README.md\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(folder, "README.md"), $"# {name}\n", Ct);
        (await RunAsync("login", "--url", "http://localhost", "--key", GatewayApp.BootstrapKey)).Code.ShouldBe(0);

        var keygen = await RunAsync("capsule", "keygen", "--out", _work.FullName);
        var pack = await RunAsync("capsule", "pack", folder, "-o", Path.Combine(_work.FullName, "capsule.tar.gz"));
        var sign = await RunAsync("capsule", "sign", Path.Combine(_work.FullName, "capsule.tar.gz"), "--key", Path.Combine(_work.FullName, "capsule.key"));
        var publish = await RunAsync("capsule", "publish", Path.Combine(_work.FullName, "capsule.tar.gz"), "--key", Path.Combine(_work.FullName, "capsule.key"));
        var install = await RunAsync("capsule", "install", name);
        var run = await RunAsync("session", "run", "What is 6*7?", "--capsule", name);

        (keygen.Code, pack.Code, sign.Code, publish.Code, install.Code, run.Code).ShouldBe((0, 0, 0, 0, 0, 0), $"{publish.Error}{install.Error}{run.Error}");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(Path.Combine(_work.FullName, "capsule.key")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var signature = Path.Combine(_work.FullName, "capsule.der");
        await File.WriteAllBytesAsync(signature, Convert.FromBase64String(sign.Output.Trim()), Ct);
        OpenSsl("dgst", "-sha256", "-verify", Path.Combine(_work.FullName, "capsule.pub"), "-signature", signature, Path.Combine(_work.FullName, "capsule.tar.gz"))
            .Trim().ShouldBe("Verified OK");
        publish.Output.ShouldContain($"Published {name} 1.0.0 (public");
        publish.Output.ShouldContain("signature valid");
        install.Output.ShouldContain("(active)");
        run.Output.ShouldContain($"[capsule] {name}@1.0.0");
        run.Output.ShouldContain("[tool] calculator");
        run.Output.ShouldContain("6*7 = 42.");
    }

    [Fact]
    public async Task A_publisher_goes_from_init_to_a_session_answering_with_the_capsules_tool_in_the_embedded_topology() =>
        await PublisherJourney.WalkAsync(apps, _work);

    [Fact]
    public async Task Pack_publish_install_and_yank_print_JSON_for_scripts()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var folder = Directory.CreateDirectory(Path.Combine(_work.FullName, name)).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "capsule.yaml"), $"name: {name}\nversion: 1.0.0\ndescription: For scripts.\npublisher: Acme Labs\n", Ct);
        var package = Path.Combine(_work.FullName, "scripted.tar.gz");
        (await RunAsync("login", "--url", "http://localhost", "--key", GatewayApp.BootstrapKey)).Code.ShouldBe(0);
        (await RunAsync("capsule", "keygen", "--out", _work.FullName)).Code.ShouldBe(0);

        var pack = Json(await RunAsync("capsule", "pack", folder, "-o", package, "--json"));
        var publish = Json(await RunAsync("capsule", "publish", package, "--key", Path.Combine(_work.FullName, "capsule.key"), "--json"));
        var install = Json(await RunAsync("capsule", "install", $"{name}@1.0.0", "--json"));
        var yank = Json(await RunAsync("capsule", "yank", name, "1.0.0", "--reason", "superseded", "--json"));

        (pack.GetProperty("path").GetString(), pack.GetProperty("size").GetInt64()).ShouldBe((package, new FileInfo(package).Length));
        publish.GetProperty("digest").GetString().ShouldBe(pack.GetProperty("digest").GetString());
        (publish.GetProperty("name").GetString(), publish.GetProperty("signature_status").GetString()).ShouldBe((name, "valid"));
        (install.GetProperty("capsule").GetString(), install.GetProperty("status").GetString()).ShouldBe((name, "active"));
        (yank.GetProperty("yanked").GetBoolean(), yank.GetProperty("yank_reason").GetString()).ShouldBe((true, "superseded"));
    }

    private static System.Text.Json.JsonElement Json(SomaRun run)
    {
        run.Code.ShouldBe(0, run.Error);
        return System.Text.Json.JsonDocument.Parse(run.Output).RootElement;
    }

    [Fact]
    public async Task Publishing_the_same_version_again_prints_the_registrys_problem_and_exits_1()
    {
        var name = "cli-" + Guid.NewGuid().ToString("N")[..10];
        var folder = Directory.CreateDirectory(Path.Combine(_work.FullName, name)).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "capsule.yaml"), $"name: {name}\nversion: 1.0.0\ndescription: Twice.\npublisher: Acme Labs\n", Ct);
        (await RunAsync("login", "--url", "http://localhost", "--key", GatewayApp.BootstrapKey)).Code.ShouldBe(0);
        (await RunAsync("capsule", "keygen", "--out", _work.FullName)).Code.ShouldBe(0);
        var package = Path.Combine(_work.FullName, "twice.tar.gz");
        (await RunAsync("capsule", "pack", folder, "-o", package)).Code.ShouldBe(0);
        (await RunAsync("capsule", "publish", package, "--key", Path.Combine(_work.FullName, "capsule.key"))).Code.ShouldBe(0);

        var again = await RunAsync("capsule", "publish", package, "--key", Path.Combine(_work.FullName, "capsule.key"));

        again.Code.ShouldBe(1);
        again.Error.ShouldContain("409");
        again.Error.ShouldContain("published already");
    }

    [Fact]
    public async Task Init_starts_a_capsule_that_lints_clean_and_lint_names_every_problem_with_its_line()
    {
        var folder = Path.Combine(_work.FullName, "weather-desk");

        var init = await RunAsync("capsule", "init", folder);
        var clean = await RunAsync("capsule", "lint", folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "capsule.yaml"), "name: Bad_Name\nversion: 1.0\ndescription: x\npublisher: Acme\n", Ct);
        var broken = await RunAsync("capsule", "lint", folder, "--json");
        var packed = await RunAsync("capsule", "pack", folder);

        (init.Code, clean.Code).ShouldBe((0, 0), init.Error + clean.Output);
        clean.Output.ShouldContain("capsule.yaml is valid.");
        broken.Code.ShouldBe(1);
        var problems = System.Text.Json.JsonDocument.Parse(broken.Output).RootElement.EnumerateArray().ToList();
        problems.Select(p => (p.GetProperty("path").GetString(), p.GetProperty("line").GetInt32())).ShouldBe([("name", 1), ("version", 2)], ignoreOrder: true);
        packed.Code.ShouldBe(1);
        packed.Error.ShouldContain("soma capsule lint");
    }

    [Fact]
    public async Task Test_runs_the_declared_prompts_with_the_unpublished_capsule_and_passes_when_the_answers_hold()
    {
        var folder = Path.Combine(_work.FullName, "sums-desk");
        (await RunAsync("capsule", "init", folder)).Code.ShouldBe(0);
        (await RunAsync("login", "--url", "http://localhost", "--key", GatewayApp.BootstrapKey)).Code.ShouldBe(0);

        var test = await RunAsync("capsule", "test", folder);

        test.Code.ShouldBe(0, test.Output + test.Error);
        test.Output.ShouldContain("PASS  multiplies with the calculator");
        test.Output.ShouldContain("1 passed, 0 failed (sums-desk@0.1.0).");
    }

    [Fact]
    public async Task Test_reports_what_each_answer_lacks_as_JSON_and_exits_1()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_work.FullName, "wrong-desk")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "capsule.yaml"), """
            name: wrong-desk
            version: 0.2.0
            description: Expects what it will not get.
            publisher: Acme Labs
            tools:
              builtin: [calculator, clock]
            tests:
              - prompt: What is 12*7?
                expect:
                  contains: ["84"]
              - name: expects the wrong number and tool
                prompt: What is 12*7?
                expect:
                  contains: ["85"]
                  tools: [clock]
            """, Ct);
        (await RunAsync("login", "--url", "http://localhost", "--key", GatewayApp.BootstrapKey)).Code.ShouldBe(0);

        var test = await RunAsync("capsule", "test", folder, "--json");

        test.Code.ShouldBe(1, test.Error);
        var report = System.Text.Json.JsonDocument.Parse(test.Output).RootElement;
        (report.GetProperty("capsule").GetString(), report.GetProperty("passed").GetInt32(), report.GetProperty("failed").GetInt32()).ShouldBe(("wrong-desk@0.2.0", 1, 1));
        var failed = report.GetProperty("tests")[1];
        failed.GetProperty("name").GetString().ShouldBe("expects the wrong number and tool");
        failed.GetProperty("status").GetString().ShouldBe("completed");
        failed.GetProperty("failures").EnumerateArray().Select(f => f.GetString()).ShouldBe(
            ["the answer does not contain \"85\"", "the tool clock was not called (called: calculator)"]);
    }

    [Fact]
    public async Task Test_of_a_capsule_that_declares_no_tests_says_how_to_add_them()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_work.FullName, "untested")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "capsule.yaml"), "name: untested\nversion: 1.0.0\ndescription: No tests.\npublisher: Acme Labs\n", Ct);
        (await RunAsync("login", "--url", "http://localhost", "--key", GatewayApp.BootstrapKey)).Code.ShouldBe(0);

        var test = await RunAsync("capsule", "test", folder);

        test.Code.ShouldBe(1);
        test.Error.ShouldContain("declares no tests");
    }

    private Task<SomaRun> RunAsync(params string[] args) => new SomaRunner(() => apps.Gateway.Server.CreateHandler(), _work.FullName).RunAsync(args);
}
