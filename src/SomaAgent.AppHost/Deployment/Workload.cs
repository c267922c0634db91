namespace SomaAgent.AppHost.Deployment;

/// <summary>One deployed service of the app model, as the Kubernetes and compose writers need it.</summary>
internal sealed record Workload(
    string Name,
    string Image,
    bool IsProject,
    string? Entrypoint,
    IReadOnlyList<string> Args,
    IReadOnlyList<(string Name, IReadOnlyList<ValuePart> Value)> Environment,
    IReadOnlyList<(string Name, int Port)> Ports,
    IReadOnlyList<(string Name, string Target)> Volumes,
    IReadOnlyList<(string Source, string Target)> ConfigFolders,
    IReadOnlyList<(string Type, string Path, int InitialDelay, int Period, int Timeout, int FailureThreshold)> Probes,
    ScalingAnnotation Scaling,
    KafkaClusterAnnotation? KafkaCluster,
    bool IsExternal)
{
    /// <summary>The port that serves http (its health and <c>/metrics</c>), if any.</summary>
    public int? HttpPort => Ports.Where(p => p.Name == "http").Select(p => (int?)p.Port).FirstOrDefault();

    /// <summary>The parameters its settings read, in order of first use.</summary>
    public IEnumerable<ValuePart.Parameter> Parameters =>
        Environment.SelectMany(e => e.Value).OfType<ValuePart.Parameter>().DistinctBy(p => p.Name);
}
