using System.Text.RegularExpressions;
using SomaAgent.Tests.AppHost;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Telemetry;

/// <summary>
/// The alert rules in <c>deploy/prometheus</c>: valid for Prometheus, each one proven by <c>promtool test rules</c> to fire
/// on a failing series and to stay quiet on a normal one, and each with its runbook in <c>docs/operations.md</c>.
/// </summary>
public sealed partial class AlertRulesTests
{
    private static readonly string Folder = Path.Combine(AppModel.RepositoryRoot, "deploy", "prometheus");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_rules_file_is_valid_for_Prometheus()
    {
        var (exitCode, output) = await PromtoolAsync("check", "rules", "alerts.yml");

        exitCode.ShouldBe(0, output);
        output.ShouldContain("SUCCESS: 6 rules found");
    }

    [Fact]
    public async Task Every_alert_fires_on_its_failing_series_and_stays_quiet_on_a_normal_one()
    {
        var (exitCode, output) = await PromtoolAsync("test", "rules", "alerts_test.yml");

        exitCode.ShouldBe(0, output);
        output.ShouldContain("SUCCESS");
    }

    [Fact]
    public async Task Every_alert_has_a_firing_and_a_quiet_case_and_a_runbook()
    {
        var alerts = AlertName().Matches(await File.ReadAllTextAsync(Path.Combine(Folder, "alerts.yml"), Ct)).Select(m => m.Groups[1].Value).ToList();
        var tests = await File.ReadAllTextAsync(Path.Combine(Folder, "alerts_test.yml"), Ct);
        var runbooks = await File.ReadAllTextAsync(Path.Combine(AppModel.RepositoryRoot, "docs", "operations.md"), Ct);

        alerts.ShouldBe(["GatewayLatencyHigh", "GatewayErrorRateHigh", "KafkaConsumerLagGrowing", "ToolCircuitOpen", "DeadLettersIncreasing", "ServiceDown"]);
        foreach (var alert in alerts)
        {
            var cases = AlertCase().Matches(tests).Where(m => m.Groups["name"].Value == alert).ToList();
            cases.ShouldContain(c => c.Groups["expected"].Value.Contains("exp_labels", StringComparison.Ordinal), $"{alert} never fires in alerts_test.yml");
            cases.ShouldContain(c => c.Groups["expected"].Value.Trim() == "[]", $"{alert} is never shown quiet in alerts_test.yml");
            runbooks.ShouldContain($"### {alert}\n", Case.Sensitive, $"{alert} has no runbook in docs/operations.md");
        }
    }

    /// <summary>Runs promtool (Debian's prometheus package, installed by eng/install-test-deps.sh) in the rules folder.</summary>
    public static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments)
    {
        File.Exists("/usr/bin/promtool").ShouldBeTrue("promtool is missing: run eng/install-test-deps.sh (installs Debian's prometheus package).");
        return await CommandLine.RunAsync("/usr/bin/promtool", Folder, arguments);
    }

    [GeneratedRegex(@"^\s+- alert: (\w+)", RegexOptions.Multiline)]
    private static partial Regex AlertName();

    [GeneratedRegex(@"alertname: (?<name>\w+)\s+exp_alerts:(?<expected> \[\]|\s*\n\s+- exp_labels)")]
    private static partial Regex AlertCase();
}
