using System.Globalization;

namespace SomaAgent.AppHost.Deployment;

/// <summary>
/// A Docker Compose file of a <see cref="DeploymentPlan"/> for one machine (<c>docker compose up</c> in
/// deploy/compose, docs/deploy.md): each workload a service with its replica count, parameters from the <c>.env</c>
/// file beside it, start order from the app model's waits, and the Kafka cluster as its brokers plus a one-off
/// service that creates the topics. Each service is also reachable as <c>&lt;name&gt;-metrics</c>, the name
/// Prometheus scrapes every replica through.
/// </summary>
internal static class ComposeFile
{
    private const string Generated = DeploymentPlan.GeneratedHeader;

    /// <summary>Where the file is meant to live: its paths to deploy/ folders are relative to it.</summary>
    public const string Folder = "deploy/compose";

    public static IReadOnlyDictionary<string, string> Write(DeploymentPlan plan, IReadOnlyDictionary<string, IReadOnlyList<string>> waits)
    {
        var services = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var workload in plan.Workloads)
        {
            if (workload.KafkaCluster is { } cluster)
            {
                AddKafka(services, workload, cluster);
            }
            else
            {
                services.Add(workload.Name, Service(workload, waits.GetValueOrDefault(workload.Name) ?? []));
            }
        }
        var volumes = plan.Workloads.SelectMany(w => w.Volumes.Select(v => v.Name))
            .Concat(Enumerable.Range(0, plan.Kafka.Brokers).Select(i => $"kafka-{i}-data"))
            .Distinct(StringComparer.Ordinal)
            .ToDictionary(v => v, _ => (object?)Yaml.Map());
        var compose = Yaml.Map(("name", "somaagent"), ("services", services), ("volumes", Yaml.Map([.. volumes.Select(v => (v.Key, v.Value))])));
        var env = plan.ParametersExample("""
            # Parameters of deploy/compose/compose.yaml: copy to .env (never committed) and give every one a value.
            # Values must be URI-safe (letters and digits: openssl rand -hex 24).

            """, VariableOf);
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["compose.yaml"] = Generated + Yaml.Serialize(compose),
            [".env.example"] = env,
        };
    }

    private static OrderedDictionary<string, object?> Service(Workload workload, IReadOnlyList<string> waits)
    {
        var replicas = workload.Scaling.MinReplicas;
        var published = workload.IsExternal || workload.Name == "gateway"
            ? workload.Ports.Where(p => p.Name == "http").Select(p => Publish(p.Port, replicas)).ToList()
            : [];
        var environment = Yaml.Map([.. workload.Environment.Select(e => (e.Name, (object?)Interpolated(e.Value)))]);
        var volumes = workload.ConfigFolders.Select(f => $"{RelativeToCompose(f.Source)}:{f.Target}:ro")
            .Concat(workload.Volumes.Select(v => $"{v.Name}:{v.Target}"))
            .ToList();
        return Yaml.Map(
            ("image", workload.Image),
            ("entrypoint", workload.Entrypoint is { } entrypoint ? new[] { entrypoint } : null),
            ("command", workload.Args.Count > 0 ? workload.Args.Select(EscapeDollars).ToList() : null),
            ("environment", environment.Count > 0 ? environment : null),
            ("ports", published.Count > 0 ? published : null),
            ("volumes", volumes.Count > 0 ? volumes : null),
            ("depends_on", waits.Count > 0 ? DependsOn(waits) : null),
            ("networks", workload.IsProject ? Yaml.Map(("default", Yaml.Map(("aliases", new[] { $"{workload.Name}-metrics" })))) : null),
            ("deploy", replicas > 1 ? Yaml.Map(("replicas", replicas)) : null),
            ("restart", "unless-stopped"));
    }

    private static void AddKafka(OrderedDictionary<string, object?> services, Workload workload, KafkaClusterAnnotation cluster)
    {
        var port = workload.Ports.Single().Port;
        var voters = string.Join(',', Enumerable.Range(0, cluster.Brokers).Select(i => $"{i}@{workload.Name}-{i}:9093"));
        for (var i = 0; i < cluster.Brokers; i++)
        {
            var settings = Yaml.Map(("KAFKA_NODE_ID", (object?)i.ToString(CultureInfo.InvariantCulture)));
            foreach (var (name, value) in cluster.NodeSettings(voters, $"PLAINTEXT://{workload.Name}-{i}:{port}"))
            {
                settings.Add(name, value);
            }
            services.Add($"{workload.Name}-{i}", Yaml.Map(
                ("image", workload.Image),
                ("environment", settings),
                ("volumes", new[] { $"{workload.Name}-{i}-data:/var/lib/kafka/data" }),
                // Clients bootstrap through the one name; each broker then advertises its own.
                ("networks", Yaml.Map(("default", Yaml.Map(("aliases", new[] { workload.Name }))))),
                ("restart", "unless-stopped")));
        }
        services.Add("kafka-topics", Yaml.Map(
            ("image", workload.Image),
            ("entrypoint", new List<string> { "/bin/sh", "-c" }),
            ("command", new[] { EscapeDollars(cluster.TopicsScript($"{workload.Name}:{port}")) }),
            ("depends_on", Enumerable.Range(0, cluster.Brokers).Select(i => $"{workload.Name}-{i}").ToList()),
            ("restart", "on-failure")));
    }

    /// <summary>What the app model waits for: the brokers once the topics exist, the others once started.</summary>
    private static OrderedDictionary<string, object?> DependsOn(IReadOnlyList<string> waits) => Yaml.Map([.. waits.Select(w => w == "kafka"
        ? ("kafka-topics", (object?)Yaml.Map(("condition", "service_completed_successfully")))
        : (w, Yaml.Map(("condition", "service_started"))))]);

    /// <summary>A parameter is <c>${NAME}</c> from .env; compose refuses to start while one is missing.</summary>
    private static string Interpolated(IReadOnlyList<ValuePart> value) => string.Concat(value.Select(p => p switch
    {
        ValuePart.Text text => EscapeDollars(text.Value),
        ValuePart.Parameter parameter => $"${{{VariableOf(parameter.Name)}:?set {VariableOf(parameter.Name)} in deploy/compose/.env}}",
        _ => throw new InvalidOperationException(),
    }));

    /// <summary>A port range, so each replica of a published service gets a host port of its own.</summary>
    private static string Publish(int port, int replicas) => replicas > 1
        ? string.Create(CultureInfo.InvariantCulture, $"{port}-{port + replicas - 1}:{port}")
        : string.Create(CultureInfo.InvariantCulture, $"{port}:{port}");

    private static string RelativeToCompose(string folder) => "../" + folder["deploy/".Length..];

    private static string VariableOf(string parameter) => parameter.Replace('-', '_').ToUpperInvariant();

    private static string EscapeDollars(string text) => text.Replace("$", "$$", StringComparison.Ordinal);
}
