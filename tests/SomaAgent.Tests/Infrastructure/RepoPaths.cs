namespace SomaAgent.Tests.Infrastructure;

/// <summary>Files of the repository, found by walking up from the test assembly to the folder of SomaAgent.sln.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string OpenApiDocument => Path.Combine(Root, "src", "SomaAgent.Gateway", "openapi.json");

    public static string ApiDocs => Path.Combine(Root, "docs", "SomaAgent01_API.md");

    /// <summary>The one place log event ids are allocated, a range per owner.</summary>
    public static string EventIds => Path.Combine(Root, "docs", "event-ids.md");

    public static string PolicyData => Path.Combine(Root, "deploy", "policies", "data.json");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SomaAgent.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No SomaAgent.sln above {AppContext.BaseDirectory}; run the tests from a clone of the repository.");
    }
}
