using System.Text.Json;
using SomaAgent.AppHost.Deployment;

namespace SomaAgent.AppHost;

/// <summary>
/// Prometheus (the alert rules and scrape settings of <c>deploy/prometheus</c>) and Grafana (provisioned from
/// <c>deploy/grafana</c>) beside the services of the containers topology and of the generated manifests.
/// </summary>
internal static class Monitoring
{
    public const string PrometheusConfigFolder = "/etc/prometheus";

    /// <summary>Where the AppHost lists a local run's scrape targets (<c>file_sd_configs</c> in prometheus.yml).</summary>
    public const string LocalTargetsFolder = "/etc/prometheus/local-targets";

    public static void AddMonitoring(this IDistributedApplicationBuilder builder, IReadOnlyList<IResourceBuilder<ProjectResource>> services)
    {
        var root = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".."));
        var prometheus = builder.AddContainer("prometheus", "prom/prometheus", "v3.5.0")
            .WithHttpEndpoint(targetPort: 9090, name: "http")
            .WithBindMount(Path.Combine(root, "deploy", "prometheus"), PrometheusConfigFolder, isReadOnly: true)
            .WithVolume("prometheus-data", "/prometheus")
            .WithArgs($"--config.file={PrometheusConfigFolder}/prometheus.yml", "--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.time=15d")
            .WithHttpHealthCheck("/-/ready")
            .WithScaling(minReplicas: 1, maxReplicas: 1);
        if (builder.ExecutionContext.IsRunMode)
        {
            prometheus.ScrapesLocalRun(services, Path.Combine(root, ".data", "prometheus-targets"));
        }

        var grafanaPassword = builder.AddParameter("grafana-admin-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true);
        builder.AddContainer("grafana", "grafana/grafana", "12.1.0")
            .WithHttpEndpoint(targetPort: 3000, name: "http")
            .WithExternalHttpEndpoints()
            .WithEnvironment("PROMETHEUS_URL", prometheus.GetEndpoint("http"))
            .WithEnvironment("GF_SECURITY_ADMIN_USER", "admin")
            .WithEnvironment("GF_SECURITY_ADMIN_PASSWORD", grafanaPassword)
            .WithBindMount(Path.Combine(root, "deploy", "grafana", "provisioning", "datasources"), "/etc/grafana/provisioning/datasources", isReadOnly: true)
            .WithBindMount(Path.Combine(root, "deploy", "grafana", "provisioning", "dashboards"), "/etc/grafana/provisioning/dashboards", isReadOnly: true)
            .WithBindMount(Path.Combine(root, "deploy", "grafana", "dashboards"), "/var/lib/grafana/dashboards/somaagent", isReadOnly: true)
            .WithHttpHealthCheck("/api/health")
            .WithScaling(minReplicas: 1, maxReplicas: 1)
            .WaitFor(prometheus);
    }

    /// <summary>
    /// A local run's services listen on the host, on ports chosen at start: each one's address is written as a
    /// <c>file_sd</c> target once known, which Prometheus (in a container) reaches through host.docker.internal.
    /// </summary>
    private static void ScrapesLocalRun(this IResourceBuilder<ContainerResource> prometheus, IReadOnlyList<IResourceBuilder<ProjectResource>> services, string folder)
    {
        Directory.CreateDirectory(folder);
        prometheus.WithBindMount(folder, LocalTargetsFolder, isReadOnly: true);
        foreach (var service in services)
        {
            prometheus.ApplicationBuilder.Eventing.Subscribe<ResourceEndpointsAllocatedEvent>(service.Resource, async (_, cancellationToken) =>
            {
                var endpoint = service.GetEndpoint("http");
                var targets = new[] { new { targets = new[] { $"host.docker.internal:{endpoint.Port}" }, labels = new Dictionary<string, string> { ["job"] = $"somaagent-{service.Resource.Name}" } } };
                await File.WriteAllTextAsync(Path.Combine(folder, $"{service.Resource.Name}.json"), JsonSerializer.Serialize(targets), cancellationToken);
            });
        }
    }
}
