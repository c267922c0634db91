using System.Globalization;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;

namespace SomaAgent.AppHost.Deployment;

/// <summary>
/// The workloads to deploy, read from the Aspire manifest (images, arguments, settings, bindings, all as the
/// publisher resolved them) and from the app model (scaling, probes, mounts, the Kafka cluster).
/// </summary>
internal sealed class DeploymentPlan
{
    /// <summary>The first line of every generated file; a file that starts with it may be replaced or removed.</summary>
    public const string GeneratedHeader = "# Generated from the AppHost by eng/generate-manifests.sh; do not edit (a test fails on drift).\n";
    private DeploymentPlan(IReadOnlyList<Workload> workloads, string repositoryRoot)
    {
        Workloads = workloads;
        RepositoryRoot = repositoryRoot;
    }

    public IReadOnlyList<Workload> Workloads { get; }

    public string RepositoryRoot { get; }

    public KafkaClusterAnnotation Kafka => Workloads.Select(w => w.KafkaCluster).OfType<KafkaClusterAnnotation>().Single();

    /// <summary>Every parameter a workload reads, secret or not, in a stable order.</summary>
    public IReadOnlyList<ValuePart.Parameter> Parameters =>
        [.. Workloads.SelectMany(w => w.Parameters).DistinctBy(p => p.Name).OrderBy(p => p.Name, StringComparer.Ordinal)];

    /// <summary>
    /// The example file an operator copies and fills in with the parameters' values: <paramref name="header"/>, then a
    /// <c>KEY=</c> line per parameter, the key as <paramref name="keyOf"/> names it.
    /// </summary>
    public string ParametersExample(string header, Func<string, string> keyOf)
    {
        var text = new StringBuilder(GeneratedHeader).Append(header.ReplaceLineEndings("\n"));
        foreach (var parameter in Parameters)
        {
            text.Append(CultureInfo.InvariantCulture, $"{keyOf(parameter.Name)}=\n");
        }
        return text.ToString();
    }

    public static async Task<DeploymentPlan> ReadAsync(string manifestPath, DistributedApplicationModel model, string repositoryRoot, CancellationToken cancellationToken)
    {
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath, cancellationToken));
        var resources = manifest.RootElement.GetProperty("resources");
        var parameterValues = new Dictionary<string, string?>();
        foreach (var parameter in model.Resources.OfType<ParameterResource>().Where(p => !p.Secret))
        {
            parameterValues[parameter.Name] = await parameter.GetValueAsync(cancellationToken);
        }
        var expressions = new ManifestExpressions(resources, parameterValues);
        var workloads = new List<Workload>();
        foreach (var resource in resources.EnumerateObject())
        {
            var type = resource.Value.GetProperty("type").GetString();
            if (type is not ("project.v0" or "container.v0"))
            {
                continue;
            }
            var modelResource = model.Resources.Single(r => r.Name == resource.Name);
            workloads.Add(Read(resource.Name, resource.Value, modelResource, expressions, repositoryRoot));
        }
        var plan = new DeploymentPlan(workloads, repositoryRoot);
        plan.Check();
        return plan;
    }

    private static Workload Read(string name, JsonElement definition, IResource resource, ManifestExpressions expressions, string repositoryRoot)
    {
        var isProject = definition.GetProperty("type").GetString() == "project.v0";
        var environment = new List<(string, IReadOnlyList<ValuePart>)>();
        if (definition.TryGetProperty("env", out var env))
        {
            foreach (var setting in env.EnumerateObject())
            {
                if (expressions.Expand(setting.Value.GetString() ?? "") is { } value)
                {
                    environment.Add((setting.Name, value));
                }
            }
        }
        var ports = new List<(string, int)>();
        if (definition.TryGetProperty("bindings", out var bindings))
        {
            foreach (var binding in bindings.EnumerateObject())
            {
                if (expressions.PortOf(name, binding.Name) is { } port)
                {
                    ports.Add((binding.Name, port));
                }
            }
        }
        var mounts = resource.Annotations.OfType<ContainerMountAnnotation>().ToList();
        return new Workload(
            Name: name,
            Image: isProject ? ImageOf((ProjectResource)resource) : definition.GetProperty("image").GetString()!,
            IsProject: isProject,
            Entrypoint: definition.TryGetProperty("entrypoint", out var entrypoint) ? entrypoint.GetString() : null,
            Args: definition.TryGetProperty("args", out var args) ? [.. args.EnumerateArray().Select(a => a.GetString()!)] : [],
            Environment: environment,
            Ports: ports,
            Volumes: [.. mounts.Where(m => m.Type == ContainerMountType.Volume).Select(m => (m.Source ?? name, m.Target))],
            ConfigFolders: [.. mounts.Where(m => m.Type == ContainerMountType.BindMount).Select(m => (ConfigFolderOf(name, m.Source!, repositoryRoot), m.Target))],
            Probes: [.. resource.Annotations.OfType<EndpointProbeAnnotation>().Select(p =>
                (p.Type.ToString().ToLowerInvariant(), p.Path, p.InitialDelaySeconds, p.PeriodSeconds, p.TimeoutSeconds, p.FailureThreshold))],
            Scaling: resource.Annotations.OfType<ScalingAnnotation>().LastOrDefault() ?? new ScalingAnnotation(1, 1, 70),
            KafkaCluster: resource.Annotations.OfType<KafkaClusterAnnotation>().SingleOrDefault(),
            IsExternal: resource.Annotations.OfType<EndpointAnnotation>().Any(e => e.IsExternal));
    }

    /// <summary><c>somaagent/gateway</c> for SomaAgent.Gateway: the image docs/deploy.md builds with the SDK's PublishContainer.</summary>
    public static string ImageOf(ProjectResource project)
    {
        var path = project.GetProjectMetadata().ProjectPath;
        var name = Path.GetFileNameWithoutExtension(path);
        return $"somaagent/{name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..].ToLowerInvariant()}:latest";
    }

    /// <summary>
    /// A bind mount deployed as configuration: a folder of the repository's <c>deploy/</c>, by its path from the root.
    /// Anything else on the machine that runs the AppHost would not exist where the manifests are applied.
    /// </summary>
    private static string ConfigFolderOf(string workload, string source, string repositoryRoot)
    {
        var deploy = Path.GetFullPath(Path.Combine(repositoryRoot, "deploy")) + Path.DirectorySeparatorChar;
        if (!Path.GetFullPath(source).StartsWith(deploy, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{workload} mounts {source}, which is not a folder of deploy/ and so cannot be deployed as configuration.");
        }
        return Path.GetRelativePath(repositoryRoot, source).Replace('\\', '/');
    }

    /// <summary>What a deployment could not honour is refused here, before any file is written.</summary>
    private void Check()
    {
        var kafka = Kafka;
        if (Workloads.FirstOrDefault(w => w.Scaling.MaxReplicas > kafka.Partitions) is { } workload)
        {
            throw new InvalidOperationException(
                $"{workload.Name} scales to {workload.Scaling.MaxReplicas} replicas, more than the {kafka.Partitions} partitions of a topic: the extra consumers would idle.");
        }
    }
}
