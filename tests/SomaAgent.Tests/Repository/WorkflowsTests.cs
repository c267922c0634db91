using System.Reflection;
using System.Text.RegularExpressions;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Repository;

/// <summary>
/// The GitHub workflows only call the repository's own scripts, and every test filter they pass selects tests that
/// exist: a renamed class or namespace must not leave a workflow quietly running nothing.
/// </summary>
public sealed partial class WorkflowsTests
{
    private static readonly string Workflows = Path.Combine(RepoPaths.Root, ".github", "workflows");

    public static TheoryData<string> WorkflowFiles => [.. Directory.EnumerateFiles(Workflows, "*.yml").Select(f => Path.GetFileName(f)).Order()];

    [Fact]
    public void The_security_and_telemetry_workflows_exist()
    {
        WorkflowFiles.Select(row => row.Data).ShouldContain("security.yml");
        WorkflowFiles.Select(row => row.Data).ShouldContain("otel.yml");
    }

    [Theory]
    [MemberData(nameof(WorkflowFiles))]
    public void Every_script_a_workflow_calls_is_in_the_repository(string workflow)
    {
        var text = File.ReadAllText(Path.Combine(Workflows, workflow));

        foreach (var script in Script().Matches(text).Select(m => m.Value).Distinct())
        {
            File.Exists(Path.Combine(RepoPaths.Root, script)).ShouldBeTrue($"{workflow} calls {script}, which is not in the repository");
        }
    }

    [Theory]
    [MemberData(nameof(WorkflowFiles))]
    public void Every_test_filter_of_a_workflow_selects_tests(string workflow)
    {
        var text = File.ReadAllText(Path.Combine(Workflows, workflow));
        var testClasses = typeof(WorkflowsTests).Assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttributes<FactAttribute>().Any()))
            .ToList();

        foreach (Match filter in Filter().Matches(text))
        {
            var pattern = filter.Groups["pattern"].Value;
            var names = filter.Groups["kind"].Value == "class" ? testClasses.Select(t => t.FullName!) : testClasses.Select(t => t.Namespace!);
            names.ShouldContain(name => Matches(name, pattern), $"{workflow}: --filter-{filter.Groups["kind"].Value} '{pattern}' selects no test");
        }
    }

    private static bool Matches(string name, string pattern) => pattern.EndsWith('*')
        ? name.StartsWith(pattern[..^1], StringComparison.Ordinal)
        : name == pattern;

    [GeneratedRegex(@"\beng/[\w./-]+\.(?:sh|py)\b")]
    private static partial Regex Script();

    [GeneratedRegex(@"--filter-(?<kind>class|namespace) '(?<pattern>[^']+)'")]
    private static partial Regex Filter();
}
