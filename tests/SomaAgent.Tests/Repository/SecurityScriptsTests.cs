using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Repository;

/// <summary>
/// The scripts behind <c>.github/workflows/security.yml</c>: the judge of <c>dotnet list package --vulnerable</c> reports
/// (on recorded reports) and the secret scan (on this repository and on a planted secret).
/// </summary>
public sealed class SecurityScriptsTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(RepoPaths.Root, "tests", "SomaAgent.Tests", "Repository", "Fixtures");
    private readonly DirectoryInfo _tree = Directory.CreateTempSubdirectory("somaagent-secrets-");

    // Split, so this file is not itself a finding.
    private static readonly string PlantedAwsKey = "AKIA" + "Z7QX4MBD2KTV6WPL";

    [Fact]
    public async Task A_report_with_a_vulnerable_package_fails_and_names_it()
    {
        var (exitCode, output) = await JudgeAsync("vulnerable-packages-found.json");

        exitCode.ShouldBe(1);
        output.ShouldContain("FAIL src/SomaAgent.Registry/SomaAgent.Registry.csproj [net10.0] Newtonsoft.Json 12.0.1 (direct): high, https://github.com/advisories/GHSA-5crp-9r3c-p9vr");
        output.ShouldContain("Azure.Identity 1.10.0 (transitive): moderate");
        output.ShouldContain("2 vulnerable package(s) in 2 projects; 2 at or above low");
    }

    [Theory]
    [InlineData("moderate", 1, 2)]
    [InlineData("high", 1, 1)]
    [InlineData("critical", 0, 0)]
    public async Task Only_vulnerabilities_at_or_above_the_minimum_severity_fail(string minimum, int exitCode, int failing)
    {
        var (code, output) = await JudgeAsync("vulnerable-packages-found.json", "--min-severity", minimum);

        code.ShouldBe(exitCode);
        output.Split('\n').Count(line => line.StartsWith("FAIL ", StringComparison.Ordinal)).ShouldBe(failing);
    }

    [Fact]
    public async Task The_recorded_report_of_this_solution_passes()
    {
        var (exitCode, output) = await JudgeAsync("vulnerable-packages-clean.json");

        exitCode.ShouldBe(0);
        output.ShouldContain("0 vulnerable package(s) in 18 projects");
    }

    [Fact]
    public async Task A_report_that_is_not_dotnets_never_passes()
    {
        var garbage = Path.Combine(_tree.FullName, "report.json");
        await File.WriteAllTextAsync(garbage, "Could not find a project to run.", TestContext.Current.CancellationToken);

        var (exitCode, output) = await CommandLine.RunAsync("python3", RepoPaths.Root, "eng/vulnerable-packages.py", garbage);

        exitCode.ShouldBe(2);
        output.ShouldContain("is not a `dotnet list package --format json` report");
    }

    [Fact]
    public async Task The_repository_holds_no_secrets()
    {
        var (exitCode, output) = await CommandLine.RunAsync("python3", RepoPaths.Root, "eng/scan-secrets.py");

        exitCode.ShouldBe(0, output);
        output.ShouldStartWith("scan-secrets: no secrets in ");
    }

    [Fact]
    public async Task A_planted_secret_is_found_by_file_and_line_and_never_printed_whole()
    {
        Plant("src/settings.json", "{\n  \"region\": \"eu-west-1\",\n  \"accessKey\": \"" + PlantedAwsKey + "\"\n}\n");
        Plant("deploy/id_rsa", "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n");
        Plant("src/appsettings.json", "{ \"ConnectionStrings\": { \"postgres\": \"Host=db;Username=app;Pass" + "word=hunter2hunter2\" } }\n");

        var (exitCode, output) = await ScanAsync();

        exitCode.ShouldBe(1);
        output.ShouldContain("src/settings.json:3: aws-access-key-id: AKIAZ7…(20 chars)");
        output.ShouldContain("deploy/id_rsa:1: private-key:");
        output.ShouldContain("src/appsettings.json:1: password-in-connection-string:");
        output.ShouldNotContain(PlantedAwsKey);
    }

    [Fact]
    public async Task References_to_secrets_are_not_secrets()
    {
        Plant("deploy/compose.yaml", "ConnectionStrings__postgres: Host=db;Pass" + "word=${POSTGRES_PASSWORD:?set it}\nuri: redis://:$(PARAMETER_REDIS_PASSWORD)@redis:6379\n");

        var (exitCode, output) = await ScanAsync();

        exitCode.ShouldBe(0, output);
    }

    [Fact]
    public async Task A_stand_in_marked_on_its_line_or_a_listed_fixture_is_allowed()
    {
        Plant("tests/KeyTests.cs", $"const string key = \"{PlantedAwsKey}\"; // secret-scan: allow (documented example)\n");
        Plant("tests/fixtures/recorded.txt", PlantedAwsKey + "\n");
        Plant(".secret-scan-allow", "# recorded responses\ntests/fixtures/*\n");

        var (exitCode, output) = await ScanAsync();

        exitCode.ShouldBe(0, output);
    }

    public void Dispose() => _tree.Delete(recursive: true);

    private static Task<(int ExitCode, string Output)> JudgeAsync(string report, params string[] options) =>
        CommandLine.RunAsync("python3", RepoPaths.Root, ["eng/vulnerable-packages.py", Path.Combine(Fixtures, report), .. options]);

    private Task<(int ExitCode, string Output)> ScanAsync() =>
        CommandLine.RunAsync("python3", RepoPaths.Root, "eng/scan-secrets.py", _tree.FullName);

    private void Plant(string file, string content)
    {
        var path = Path.Combine(_tree.FullName, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
