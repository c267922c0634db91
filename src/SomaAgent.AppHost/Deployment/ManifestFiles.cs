using Aspire.Hosting.Publishing;
using Microsoft.Extensions.Configuration;

namespace SomaAgent.AppHost.Deployment;

/// <summary>
/// After Aspire's manifest publisher wrote <c>aspire-manifest.json</c>, writes the project's own deployment files from
/// the same app model: <c>kubernetes/</c> and <c>compose/</c> beside the manifest, and <c>azure.yaml</c> in the folder
/// above it (the repository root when the manifest goes to <c>deploy/</c>, as <c>eng/generate-manifests.sh</c> does).
/// </summary>
internal static class ManifestFiles
{
    public static void WriteDeploymentManifestsOnPublish(this IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsPublishMode)
        {
            return;
        }
        var repositoryRoot = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".."));
        var appHostProject = Directory.EnumerateFiles(builder.AppHostDirectory, "*.csproj").Single();
        builder.Eventing.Subscribe<AfterPublishEvent>(async (published, cancellationToken) =>
        {
            var manifestPath = builder.Configuration["Publishing:OutputPath"] ?? builder.Configuration["output-path"];
            if (manifestPath is null || !File.Exists(manifestPath))
            {
                throw new InvalidOperationException($"The Aspire manifest was not written where the deployment files are generated from ({manifestPath ?? "no --output-path"}).");
            }
            var plan = await DeploymentPlan.ReadAsync(manifestPath, published.Model, repositoryRoot, cancellationToken);
            var folder = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;
            var waits = published.Model.Resources.ToDictionary(
                r => r.Name,
                r => (IReadOnlyList<string>)[.. r.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name)
                    .Where(name => plan.Workloads.Any(w => w.Name == name)).Distinct().Order(StringComparer.Ordinal)]);
            await WriteAsync(Path.Combine(folder, "kubernetes"), KubernetesManifests.Write(plan), cancellationToken);
            await WriteAsync(Path.Combine(folder, "compose"), ComposeFile.Write(plan, waits), cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(folder, "..", "azure.yaml"), AzdFile.Write(repositoryRoot, appHostProject), cancellationToken);
        });
    }

    /// <summary>Replaces the folder's generated files, so one no longer generated does not linger.</summary>
    private static async Task WriteAsync(string folder, IReadOnlyDictionary<string, string> files, CancellationToken cancellationToken)
    {
        if (Directory.Exists(folder))
        {
            foreach (var stale in Directory.EnumerateFiles(folder).Where(f => !files.ContainsKey(Path.GetFileName(f)) && IsGenerated(f)))
            {
                File.Delete(stale);
            }
        }
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, name), content, cancellationToken);
        }
    }

    private static bool IsGenerated(string file) =>
        File.ReadLines(file).FirstOrDefault() == DeploymentPlan.GeneratedHeader.TrimEnd('\n');
}
