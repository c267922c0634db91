using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Repository;

/// <summary>
/// Restores are reproducible: every project that ships (and the tools beside it) has a committed packages.lock.json,
/// CI restores in locked mode, and the committed locks match what the project files ask for.
/// </summary>
public sealed class LockFilesTests
{
    /// <summary>Projects the AppHost SDK gives per-platform packages, so no single lock file holds (their csproj says why).</summary>
    private static readonly string[] Unlocked = ["SomaAgent.AppHost", "SomaAgent.Tests"];

    [Fact]
    public void Every_project_but_the_per_platform_ones_has_a_committed_lock_file()
    {
        var projects = Directory.EnumerateFiles(RepoPaths.Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        projects.Count.ShouldBeGreaterThan(10);
        foreach (var project in projects.Where(p => !Unlocked.Contains(Path.GetFileNameWithoutExtension(p))))
        {
            File.Exists(Path.Combine(Path.GetDirectoryName(project)!, "packages.lock.json")).ShouldBeTrue($"{project} has no packages.lock.json: run dotnet restore and commit it");
        }
    }

    [Fact]
    public void CI_restores_in_locked_mode()
    {
        var props = File.ReadAllText(Path.Combine(RepoPaths.Root, "Directory.Build.props"));

        props.ShouldContain("<RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>");
        props.ShouldContain("<RestoreLockedMode Condition=\"'$(CI)' == 'true'\">true</RestoreLockedMode>");
    }

    [Fact]
    public async Task The_committed_locks_match_the_project_files()
    {
        // The gateway's restore covers most of the solution's packages through its project references.
        var (exitCode, output) = await CommandLine.RunAsync("dotnet", RepoPaths.Root,
            "restore", "src/SomaAgent.Gateway/SomaAgent.Gateway.csproj", "--locked-mode", "-nologo");

        exitCode.ShouldBe(0, output);
    }
}
