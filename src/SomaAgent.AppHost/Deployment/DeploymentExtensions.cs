namespace SomaAgent.AppHost.Deployment;

/// <summary>What a deployment needs to know of a service, declared once on the app model.</summary>
public static class DeploymentExtensions
{
    /// <summary>
    /// Readiness and liveness probes on the service defaults' <c>/health</c> (every check) and <c>/alive</c> (the
    /// process only). Each probe is also a health check of the resource, so the dashboard and <c>WaitFor</c> use them too.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithHealthProbes(this IResourceBuilder<ProjectResource> service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return service
            .WithHttpProbe(ProbeType.Readiness, "/health", initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3)
            .WithHttpProbe(ProbeType.Liveness, "/alive", initialDelaySeconds: 10, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3);
    }

    /// <summary>Replicas once deployed; see <see cref="ScalingAnnotation"/>.</summary>
    public static IResourceBuilder<T> WithScaling<T>(this IResourceBuilder<T> service, int minReplicas, int maxReplicas, int targetCpuPercent = 70)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentOutOfRangeException.ThrowIfLessThan(minReplicas, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReplicas, minReplicas);
        return service.WithAnnotation(new ScalingAnnotation(minReplicas, maxReplicas, targetCpuPercent), ResourceAnnotationMutationBehavior.Replace);
    }
}
