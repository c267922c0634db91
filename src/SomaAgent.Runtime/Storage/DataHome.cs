using Microsoft.Extensions.Configuration;

namespace SomaAgent.Runtime.Storage;

/// <summary>
/// Where a service keeps its embedded data (SQLite file, audit log, bootstrap key, artifacts):
/// <c>SomaAgent:DataDirectory</c> (relative to the content root), else the user's data home
/// (<c>$XDG_DATA_HOME/somaagent</c>, <c>~/.local/share/somaagent</c>, <c>%LOCALAPPDATA%\somaagent</c>).
/// </summary>
/// <remarks>
/// Not under the content root by default: the configuration's file watcher watches the content root with all its
/// subfolders, and woke on every SQLite WAL and audit-log write (≈ 1.4 ms of CPU per agent run, docs/benchmarks.md).
/// </remarks>
public static class DataHome
{
    public const string ConfigurationKey = SessionStoreOptions.SectionName + ":DataDirectory";
    public const string FolderName = "somaagent";

    /// <summary>Whether this process is the build-time OpenAPI generator (GetDocument.Insider), which starts the host too.</summary>
    public static bool IsBuildTimeDocumentGeneration =>
        System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";

    /// <summary>The data folder as a full path.</summary>
    public static string Resolve(IConfiguration configuration, string contentRootPath)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[ConfigurationKey] is { Length: > 0 } configured)
        {
            return Path.GetFullPath(configured, contentRootPath);
        }
        if (IsBuildTimeDocumentGeneration)
        {
            // The build runs the host to write openapi.json: its store and audit log are thrown away, never the user's.
            return Path.Combine(Path.GetTempPath(), $"somaagent-openapi-{Environment.ProcessId}");
        }
        var home = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        // No home at all (a bare container user): the old place, beside the content root.
        return string.IsNullOrEmpty(home) ? Path.GetFullPath(".data", contentRootPath) : Path.Combine(home, FolderName);
    }
}
