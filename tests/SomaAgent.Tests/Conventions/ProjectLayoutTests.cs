using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Conventions;

/// <summary>The projects match the parts docs/architecture.md draws, and their folders depend on each other one way.</summary>
public sealed partial class ProjectLayoutTests
{
    [Theory]
    [InlineData("Microsoft.AspNetCore")]
    [InlineData("Confluent.Kafka")]
    [InlineData("LLamaSharp")]
    [InlineData("ModelContextProtocol")]
    [InlineData("SomaAgent.")]
    public void The_runtime_uses_no_web_framework_broker_client_model_runner_or_other_SomaAgent_project(string prefix)
    {
        Assembly.Load("SomaAgent.Runtime").GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))
            .ShouldBeEmpty();
    }

    [Theory]
    [InlineData("Microsoft.AspNetCore")]
    [InlineData("Microsoft.EntityFrameworkCore")]
    [InlineData("SomaAgent.")]
    public void The_SDK_references_no_server_project_or_server_framework(string prefix)
    {
        Assembly.Load("SomaAgent.Client").GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal))
            .ShouldBeEmpty();
    }

    [Theory]
    [InlineData("SomaAgent.Registry", "SomaAgent.Engine")]
    [InlineData("SomaAgent.Registry", "SomaAgent.Messaging.Kafka")]
    [InlineData("SomaAgent.Registry", "SomaAgent.Models.Gguf")]
    [InlineData("SomaAgent.Registry", "Confluent.Kafka")]
    [InlineData("SomaAgent.Registry", "librdkafka.redist")]
    [InlineData("SomaAgent.Registry", "LLamaSharp")]
    [InlineData("SomaAgent.Registry", "LLamaSharp.Backend.Cpu")]
    [InlineData("SomaAgent.Workers", "SomaAgent.Gateway")]
    [InlineData("SomaAgent.Gateway", "SomaAgent.Workers")]
    public void A_service_does_not_ship_what_it_never_runs(string service, string library)
    {
        LibrariesOf(service).ShouldNotContain(library);
    }

    [Theory]
    [InlineData("SomaAgent.Registry", "SomaAgent.Security")]
    [InlineData("SomaAgent.Workers", "SomaAgent.Engine")]
    [InlineData("SomaAgent.Workers", "SomaAgent.Messaging.Kafka")]
    [InlineData("SomaAgent.Gateway", "SomaAgent.Engine")]
    [InlineData("SomaAgent.Gateway", "SomaAgent.Security")]
    public void A_service_ships_the_parts_it_hosts(string service, string library)
    {
        LibrariesOf(service).ShouldContain(library);
    }

    [Theory]
    [InlineData("SomaAgent.Runtime")]
    [InlineData("SomaAgent.Security")]
    [InlineData("SomaAgent.Engine")]
    [InlineData("SomaAgent.Gateway")]
    [InlineData("SomaAgent.Registry")]
    public void The_folders_of_a_project_do_not_depend_on_each_other_in_a_cycle(string project)
    {
        var graph = FolderGraph(project);
        graph.Count.ShouldBeGreaterThan(0);

        FindCycle(graph).ShouldBeNull();
    }

    /// <summary>The package and project names in the service's dependency manifest (what <c>dotnet publish</c> ships).</summary>
    private static List<string> LibrariesOf(string service)
    {
        var deps = Path.Combine(AppContext.BaseDirectory, $"{service}.deps.json");
        using var document = JsonDocument.Parse(File.ReadAllText(deps));
        return [.. document.RootElement.GetProperty("libraries").EnumerateObject().Select(library => library.Name.Split('/')[0])];
    }

    /// <summary>
    /// Which top-level folder's code names which other's: through qualified names of the project's namespaces, and
    /// through the names of the types each folder declares (however the code reaches them: a <c>using</c>, a partly
    /// qualified name, or the enclosing namespace). Comments do not count.
    /// </summary>
    private static Dictionary<string, HashSet<string>> FolderGraph(string project)
    {
        var folder = Path.Combine(RepoPaths.Root, "src", project);
        var files = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => (Folder: FolderOf(folder, f), Text: Comment().Replace(File.ReadAllText(f), "")))
            .ToList();
        var declared = files
            .SelectMany(f => TypeDeclaration().Matches(f.Text).Select(m => (f.Folder, Type: m.Groups[1].Value)))
            .GroupBy(d => d.Type, StringComparer.Ordinal)
            .Where(g => g.Select(d => d.Folder).Distinct().Count() == 1)
            .ToDictionary(g => g.Key, g => g.First().Folder, StringComparer.Ordinal);
        var qualified = new Regex($@"\b{Regex.Escape(project)}\.([A-Z]\w*)");
        var identifier = new Regex(@"\b[A-Z]\w*\b");

        var graph = files.Select(f => f.Folder).Distinct().ToDictionary(f => f, _ => new HashSet<string>(StringComparer.Ordinal));
        foreach (var (from, text) in files)
        {
            var targets = qualified.Matches(text).Select(m => m.Groups[1].Value)
                .Concat(identifier.Matches(text).Select(m => declared.GetValueOrDefault(m.Value)).OfType<string>());
            foreach (var to in targets)
            {
                if (to != from && graph.ContainsKey(to))
                {
                    graph[from].Add(to);
                }
            }
        }
        return graph;
    }

    private const string Root = "(root)";

    private static string FolderOf(string projectFolder, string file)
    {
        var relative = Path.GetRelativePath(projectFolder, file).Split(Path.DirectorySeparatorChar);
        return relative.Length == 1 ? Root : relative[0];
    }

    /// <summary>One cycle as "A -> B -> A", or null when the graph has none.</summary>
    private static string? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        string? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph[node].Order(StringComparer.Ordinal))
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return string.Join(" -> ", path.Skip(path.IndexOf(next)).Append(next));
                }
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        return graph.Keys.Order(StringComparer.Ordinal).Where(n => state.GetValueOrDefault(n) == 0).Select(Visit).FirstOrDefault(c => c is not null);
    }

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex Comment();

    [GeneratedRegex(@"^(?:public|internal)\s+(?:(?:sealed|static|abstract|partial|readonly)\s+)*(?:class|record|interface|struct|enum)\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();
}
