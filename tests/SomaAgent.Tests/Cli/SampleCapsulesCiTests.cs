using System.Diagnostics;
using SomaAgent.Tests.AppHost;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Cli;

/// <summary>
/// The capsule CI (<c>eng/capsule-ci.sh</c>, what <c>.github/workflows/capsule-publish.yml</c> runs) on the sample
/// capsules: lint, test, pack, sign, publish, install and test the installed version, with the built <c>soma</c>
/// against a gateway, a registry and the test MCP server started as processes, embedded and on PostgreSQL + S3.
/// One class, so the two runs never share the MCP server's port (8790) at the same time.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class SampleCapsulesCiTests(PostgresServer postgres, S3Server s3) : IClassFixture<S3Server>
{
    private static readonly string[] Samples = ["samples/capsules/kitchen-math/", "samples/capsules/text-tools/"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_capsule_CI_publishes_every_sample_in_the_embedded_topology()
    {
        var run = await CapsuleCiAsync(new Dictionary<string, string>());

        run.Code.ShouldBe(0, run.Output);
        ShouldHavePublishedAndTestedEverySample(run.Output);
    }

    [Fact]
    public async Task The_capsule_CI_publishes_every_sample_on_PostgreSQL_and_S3()
    {
        var database = await postgres.CreateDatabaseAsync("capsuleci", Ct);
        var bucket = $"capsule-ci-{Guid.NewGuid():N}"[..24];

        var run = await CapsuleCiAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__postgres"] = database,
            ["S3__ServiceUrl"] = s3.ServiceUrl.ToString(),
            ["S3__AccessKey"] = S3Server.AccessKey,
            ["S3__SecretKey"] = S3Server.SecretKey,
            ["S3__Bucket"] = bucket,
        });

        run.Code.ShouldBe(0, run.Output);
        ShouldHavePublishedAndTestedEverySample(run.Output);
        await using (var connection = new Npgsql.NpgsqlConnection(database))
        {
            await connection.OpenAsync(Ct);
            await using var count = new Npgsql.NpgsqlCommand("SELECT count(*) FROM registry.capsule_versions", connection);
            (await count.ExecuteScalarAsync(Ct)).ShouldBe(2L);
        }
        // s3rver does not check signatures, so a plain ListObjectsV2 shows what the registry stored.
        using var http = new HttpClient();
        var listing = await http.GetStringAsync(new Uri(s3.ServiceUrl, $"/{bucket}?list-type=2"), Ct);
        System.Text.RegularExpressions.Regex.Count(listing, "<Key>").ShouldBe(2, listing);
    }

    [Fact]
    public async Task The_capsule_publish_workflow_runs_this_script_on_every_sample_with_soma_installed_as_a_tool()
    {
        var workflow = await File.ReadAllTextAsync(Path.Combine(AppModel.RepositoryRoot, ".github", "workflows", "capsule-publish.yml"), Ct);

        workflow.ShouldContain("run: eng/capsule-ci.sh --local samples/capsules/*/");
        workflow.ShouldContain("dotnet tool install SomaAgent.Cli");
        Directory.GetDirectories(Path.Combine(AppModel.RepositoryRoot, "samples", "capsules"))
            .Select(d => $"samples/capsules/{Path.GetFileName(d)}/").Order(StringComparer.Ordinal).ShouldBe(Samples);
    }

    private static void ShouldHavePublishedAndTestedEverySample(string output)
    {
        foreach (var name in new[] { "kitchen-math", "text-tools" })
        {
            output.ShouldContain($"Published {name} 1.0.0 (public");
            output.ShouldContain($"Installed {name} 1.0.0 (active)");
            output.ShouldContain($"2 passed, 0 failed ({name}@1.0.0).");
        }
        output.ShouldContain("capsule-ci: 2 capsule(s), 0 failed");
    }

    private static async Task<(int Code, string Output)> CapsuleCiAsync(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", ["eng/capsule-ci.sh", "--local", "--no-build", "-c", BuildConfiguration, .. Samples])
        {
            WorkingDirectory = AppModel.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The script's own trap stops what it started once bash is gone; the tree is this test's to end.
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await output + await error);
    }

    /// <summary>The configuration these tests were built in, whose service builds the script runs.</summary>
    private static string BuildConfiguration => Path.GetFileName(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)))!;
}
