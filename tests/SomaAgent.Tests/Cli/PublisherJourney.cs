using System.Text.Json;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Gateway.Registry;

namespace SomaAgent.Tests.Cli;

/// <summary>
/// A publisher's whole path with <c>soma</c>, as the README's "publish your first capsule" walks it: init, keygen,
/// lint, test (as a draft), pack, sign, publish; found by search; installed; and a session that takes it on answers
/// with its tool's result, streamed through <c>soma session run</c>.
/// </summary>
internal static class PublisherJourney
{
    public static async Task WalkAsync(ForwardingGateway apps, DirectoryInfo work)
    {
        var soma = new SomaRunner(() => apps.Gateway.Server.CreateHandler(), work.FullName);
        var name = "journey-" + Guid.NewGuid().ToString("N")[..10];
        var folder = Path.Combine(work.FullName, name);
        var package = Path.Combine(work.FullName, $"{name}.tar.gz");
        var key = Path.Combine(work.FullName, "capsule.key");

        var steps = new List<(string Step, SomaRun Run)>
        {
            ("login", await soma.RunAsync("login", "--url", "http://localhost", "--key", GatewayApp.BootstrapKey)),
            ("init", await soma.RunAsync("capsule", "init", folder)),
            ("keygen", await soma.RunAsync("capsule", "keygen", "--out", work.FullName)),
            ("lint", await soma.RunAsync("capsule", "lint", folder)),
            ("test", await soma.RunAsync("capsule", "test", folder)),
            ("pack", await soma.RunAsync("capsule", "pack", folder, "-o", package)),
            ("sign", await soma.RunAsync("capsule", "sign", package, "--key", key)),
            ("publish", await soma.RunAsync("capsule", "publish", package, "--key", key)),
        };
        var search = await soma.RunAsync("capsule", "search", name, "--tag", "example", "--json");
        var install = await soma.RunAsync("capsule", "install", name);
        var run = await soma.RunAsync("session", "run", "What is 12*7?", "--capsule", name);

        foreach (var (step, result) in steps.Append(("search", search)).Append(("install", install)).Append(("run", run)))
        {
            result.Code.ShouldBe(0, $"soma {step}: {result.Output}{result.Error}");
        }
        steps.Single(s => s.Step == "test").Run.Output.ShouldContain($"1 passed, 0 failed ({name}@0.1.0).");
        steps.Single(s => s.Step == "publish").Run.Output.ShouldContain($"Published {name} 0.1.0 (public");
        var found = JsonDocument.Parse(search.Output).RootElement.GetProperty("data").EnumerateArray().ShouldHaveSingleItem();
        (found.GetProperty("name").GetString(), found.GetProperty("latest_version").GetString()).ShouldBe((name, "0.1.0"));
        install.Output.ShouldContain($"Installed {name} 0.1.0 (active)");
        run.Output.ShouldContain($"[capsule] {name}@0.1.0");
        run.Output.ShouldContain("[tool] calculator {\"expression\":\"12*7\"}");
        run.Output.ShouldContain("12*7 = 84.");
    }
}
