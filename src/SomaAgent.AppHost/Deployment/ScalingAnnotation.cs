namespace SomaAgent.AppHost.Deployment;

/// <summary>
/// How many replicas a service runs once deployed: <see cref="MinReplicas"/> always, up to <see cref="MaxReplicas"/>
/// when the CPU of its replicas averages over <see cref="TargetCpuPercent"/> of what they request. The generated
/// Kubernetes manifests turn it into a Deployment's replicas, a HorizontalPodAutoscaler and (from two replicas on)
/// a PodDisruptionBudget; the compose file runs <see cref="MinReplicas"/>.
/// </summary>
public sealed record ScalingAnnotation(int MinReplicas, int MaxReplicas, int TargetCpuPercent) : IResourceAnnotation;
