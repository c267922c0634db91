using System.Diagnostics;

namespace SomaAgent.AppHost;

/// <summary>
/// A topology is a preset of backing-service choices (see docs/topologies.md): <c>embedded</c> runs with
/// nothing external, <c>containers</c> starts the real servers as containers.
/// </summary>
public enum Topology
{
    Embedded,
    Containers,
}

public static class TopologySelection
{
    public const string ConfigurationKey = "SomaAgent:Topology";

    /// <summary>
    /// <c>SomaAgent:Topology</c> (env <c>SomaAgent__Topology</c>) decides; without it, containers when a
    /// container runtime answers, else embedded. The choice and its reason are printed, because a wrong
    /// guess is the first thing a developer needs to see.
    /// </summary>
    public static Topology ChooseTopology(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configured = builder.Configuration[ConfigurationKey];
        Topology topology;
        string reason;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (!Enum.TryParse(configured, ignoreCase: true, out topology) || !Enum.IsDefined(topology))
            {
                throw new InvalidOperationException($"{ConfigurationKey} is '{configured}'; use 'embedded' or 'containers'.");
            }
            reason = $"{ConfigurationKey}={configured}";
        }
        else if (ContainerRuntimeAnswers(out var runtime))
        {
            topology = Topology.Containers;
            reason = $"the container runtime '{runtime}' answers (set {ConfigurationKey}=embedded to run without containers)";
        }
        else
        {
            topology = Topology.Embedded;
            reason = $"no container runtime answers (set {ConfigurationKey}=containers once Docker or Podman runs)";
        }
        Console.WriteLine($"SomaAgent topology: {topology.ToString().ToLowerInvariant()}, because {reason}.");
        return topology;
    }

    private static bool ContainerRuntimeAnswers(out string runtime)
    {
        runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") ?? "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info --format {{.ServerVersion}}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
