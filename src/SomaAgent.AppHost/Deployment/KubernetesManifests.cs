namespace SomaAgent.AppHost.Deployment;

/// <summary>
/// Kubernetes manifests of a <see cref="DeploymentPlan"/>, applied with <c>kubectl apply -k</c> (docs/deploy.md): per
/// workload a Deployment (a StatefulSet when it keeps data), its Service, a headless <c>&lt;name&gt;-metrics</c> Service
/// Prometheus finds every replica through, a ConfigMap of its plain settings and one per configuration folder; a
/// HorizontalPodAutoscaler where it scales and a PodDisruptionBudget from two replicas on. Parameters come from the
/// Secret <c>somaagent-secrets</c>, made by kustomize from a <c>secrets.env</c> the operator writes. Kafka is a KRaft
/// cluster (a StatefulSet) with a Job that creates the topics.
/// </summary>
internal static class KubernetesManifests
{
    public const string SecretName = "somaagent-secrets";
    public const string Namespace = "somaagent";
    private const string PartOf = "somaagent";
    private const string Generated = DeploymentPlan.GeneratedHeader;

    /// <summary>The files, by name, each a YAML document stream.</summary>
    public static IReadOnlyDictionary<string, string> Write(DeploymentPlan plan)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["namespace.yaml"] = Generated + Yaml.SerializeAll([Object("v1", "Namespace", Namespace, labels: false)]),
        };
        foreach (var workload in plan.Workloads)
        {
            var documents = workload.KafkaCluster is { } cluster ? KafkaCluster(workload, cluster) : Workload(workload, plan);
            files[$"{workload.Name}.yaml"] = Generated + Yaml.SerializeAll(documents);
        }
        files["kustomization.yaml"] = Generated + Yaml.Serialize(Yaml.Map(
            ("apiVersion", "kustomize.config.k8s.io/v1beta1"),
            ("kind", "Kustomization"),
            ("namespace", Namespace),
            ("resources", files.Keys.Where(f => f != "kustomization.yaml").ToList()),
            ("secretGenerator", new[] { Yaml.Map(("name", SecretName), ("envs", new List<string> { "secrets.env" })) }),
            ("generatorOptions", Yaml.Map(("disableNameSuffixHash", true)))));
        files["secrets.env.example"] = SecretsExample(plan);
        return files;
    }

    private static IEnumerable<object> Workload(Workload workload, DeploymentPlan plan)
    {
        var configMaps = workload.ConfigFolders.Select(f => ConfigFolder(f.Source, plan)).ToList();
        if (workload.Environment.Any(e => e.Value.All(p => p is ValuePart.Text)))
        {
            yield return EnvironmentConfigMap(workload);
        }
        foreach (var configMap in configMaps)
        {
            yield return configMap;
        }
        var container = Container(workload);
        var volumes = workload.ConfigFolders.Select(f => (object)Yaml.Map(
            ("name", ConfigMapNameOf(f.Source)),
            ("configMap", Yaml.Map(("name", ConfigMapNameOf(f.Source)))))).ToList();
        var pod = Yaml.Map(
            ("metadata", Yaml.Map(("labels", Labels(workload.Name)))),
            ("spec", Yaml.Map(
                ("containers", new[] { container }),
                ("volumes", volumes.Count > 0 ? volumes : null))));
        var replicas = workload.Scaling.MinReplicas;
        if (workload.Volumes.Count > 0)
        {
            yield return Object("apps/v1", "StatefulSet", workload.Name, spec: Yaml.Map(
                ("serviceName", workload.Name),
                ("replicas", replicas),
                ("selector", Selector(workload.Name)),
                ("template", pod),
                ("volumeClaimTemplates", workload.Volumes.Select(v => Claim(VolumeNameOf(v.Name), "10Gi")).ToList())));
        }
        else
        {
            yield return Object("apps/v1", "Deployment", workload.Name, spec: Yaml.Map(
                ("replicas", replicas),
                ("selector", Selector(workload.Name)),
                ("template", pod)));
        }
        if (workload.Ports.Count > 0)
        {
            yield return Service(workload.Name, workload.Name, workload.Ports, headless: false);
        }
        if (workload.IsProject && workload.HttpPort is { } httpPort)
        {
            yield return Service($"{workload.Name}-metrics", workload.Name, [("http", httpPort)], headless: true);
        }
        if (workload.Scaling.MaxReplicas > workload.Scaling.MinReplicas)
        {
            yield return Object("autoscaling/v2", "HorizontalPodAutoscaler", workload.Name, spec: Yaml.Map(
                ("scaleTargetRef", Yaml.Map(("apiVersion", "apps/v1"), ("kind", "Deployment"), ("name", workload.Name))),
                ("minReplicas", workload.Scaling.MinReplicas),
                ("maxReplicas", workload.Scaling.MaxReplicas),
                ("metrics", new[]
                {
                    Yaml.Map(("type", "Resource"), ("resource", Yaml.Map(
                        ("name", "cpu"),
                        ("target", Yaml.Map(("type", "Utilization"), ("averageUtilization", workload.Scaling.TargetCpuPercent)))))),
                })));
        }
        if (replicas >= 2)
        {
            yield return DisruptionBudget(workload.Name);
        }
    }

    private static OrderedDictionary<string, object?> Container(Workload workload)
    {
        var (env, literal) = EnvironmentOf(workload);
        var volumeMounts = workload.ConfigFolders.Select(f => (object)Yaml.Map(("name", ConfigMapNameOf(f.Source)), ("mountPath", f.Target), ("readOnly", true)))
            .Concat(workload.Volumes.Select(v => Yaml.Map(("name", VolumeNameOf(v.Name)), ("mountPath", v.Target))))
            .ToList();
        return Yaml.Map(
            ("name", workload.Name),
            ("image", workload.Image),
            ("command", workload.Entrypoint is { } entrypoint ? new[] { entrypoint } : null),
            ("args", workload.Args.Count > 0 ? workload.Args.Select(EscapeReferences).ToList() : null),
            ("ports", workload.Ports.Count > 0 ? workload.Ports.Select(p => Yaml.Map(("name", PortNameOf(p.Name)), ("containerPort", p.Port))).ToList() : null),
            ("envFrom", literal ? new[] { Yaml.Map(("configMapRef", Yaml.Map(("name", $"{workload.Name}-env")))) } : null),
            ("env", env.Count > 0 ? env : null),
            ("readinessProbe", Probe(workload, "readiness")),
            ("livenessProbe", Probe(workload, "liveness")),
            ("resources", workload.IsProject
                ? Yaml.Map(("requests", Yaml.Map(("cpu", "250m"), ("memory", "256Mi"))), ("limits", Yaml.Map(("memory", "1Gi"))))
                : null),
            ("volumeMounts", volumeMounts.Count > 0 ? volumeMounts : null));
    }

    /// <summary>
    /// Settings that read a parameter: each parameter once as an env var from the Secret, then the setting composed of
    /// it with Kubernetes' <c>$(VAR)</c> references. Plain settings go to the workload's ConfigMap instead.
    /// </summary>
    private static (List<object> Env, bool HasLiteral) EnvironmentOf(Workload workload)
    {
        var env = new List<object>();
        foreach (var parameter in workload.Parameters)
        {
            env.Add(Yaml.Map(("name", ParameterVariable(parameter.Name)), ("valueFrom", Yaml.Map(
                ("secretKeyRef", Yaml.Map(("name", SecretName), ("key", parameter.Name)))))));
        }
        var hasLiteral = false;
        foreach (var (name, value) in workload.Environment)
        {
            if (value.All(p => p is ValuePart.Text))
            {
                hasLiteral = true;
                continue;
            }
            var composed = string.Concat(value.Select(p => p switch
            {
                ValuePart.Text text => EscapeReferences(text.Value),
                ValuePart.Parameter parameter => $"$({ParameterVariable(parameter.Name)})",
                _ => throw new InvalidOperationException(),
            }));
            env.Add(Yaml.Map(("name", name), ("value", composed)));
        }
        return (env, hasLiteral);
    }

    private static OrderedDictionary<string, object?> EnvironmentConfigMap(Workload workload) =>
        Object("v1", "ConfigMap", $"{workload.Name}-env", data: Data(workload.Environment
            .Where(e => e.Value.All(p => p is ValuePart.Text))
            .Select(e => (e.Name, string.Concat(e.Value.Cast<ValuePart.Text>().Select(t => t.Value))))));

    private static OrderedDictionary<string, object?> ConfigFolder(string folder, DeploymentPlan plan)
    {
        var files = Directory.EnumerateFiles(Path.Combine(plan.RepositoryRoot, folder))
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f).ReplaceLineEndings("\n")))
            .OrderBy(f => f.Item1, StringComparer.Ordinal);
        return Object("v1", "ConfigMap", ConfigMapNameOf(folder), data: Data(files));
    }

    private static IEnumerable<object> KafkaCluster(Workload workload, KafkaClusterAnnotation cluster)
    {
        const string Brokers = "kafka-brokers";
        var port = workload.Ports.Single().Port;
        var voters = string.Join(',', Enumerable.Range(0, cluster.Brokers).Select(i => $"{i}@{workload.Name}-{i}.{Brokers}:9093"));
        var env = new List<object>
        {
            Yaml.Map(("name", "KAFKA_NODE_ID"), ("valueFrom", Yaml.Map(("fieldRef", Yaml.Map(("fieldPath", "metadata.labels['apps.kubernetes.io/pod-index']")))))),
            Yaml.Map(("name", "POD_NAME"), ("valueFrom", Yaml.Map(("fieldRef", Yaml.Map(("fieldPath", "metadata.name")))))),
        };
        foreach (var (name, value) in cluster.NodeSettings(voters, $"PLAINTEXT://$(POD_NAME).{Brokers}:{port}"))
        {
            env.Add(Yaml.Map(("name", name), ("value", value)));
        }
        var container = Yaml.Map(
            ("name", workload.Name),
            ("image", workload.Image),
            ("ports", new[] { Yaml.Map(("name", "kafka"), ("containerPort", port)), Yaml.Map(("name", "controller"), ("containerPort", 9093)) }),
            ("env", env),
            ("readinessProbe", Yaml.Map(("tcpSocket", Yaml.Map(("port", port))), ("initialDelaySeconds", 10), ("periodSeconds", 10))),
            ("resources", Yaml.Map(("requests", Yaml.Map(("cpu", "500m"), ("memory", "1Gi"))), ("limits", Yaml.Map(("memory", "2Gi"))))),
            ("volumeMounts", new[] { Yaml.Map(("name", "data"), ("mountPath", "/var/lib/kafka/data")) }));
        yield return Object("apps/v1", "StatefulSet", workload.Name, spec: Yaml.Map(
            ("serviceName", Brokers),
            ("replicas", cluster.Brokers),
            ("podManagementPolicy", "Parallel"),
            ("selector", Selector(workload.Name)),
            ("template", Yaml.Map(("metadata", Yaml.Map(("labels", Labels(workload.Name)))), ("spec", Yaml.Map(("containers", new[] { container }))))),
            ("volumeClaimTemplates", new[] { Claim("data", "20Gi") })));
        yield return Service(Brokers, workload.Name, [("kafka", port), ("controller", 9093)], headless: true, publishNotReady: true);
        yield return Service(workload.Name, workload.Name, [("kafka", port)], headless: false);
        yield return DisruptionBudget(workload.Name);
        yield return Object("batch/v1", "Job", "kafka-topics", spec: Yaml.Map(
            ("backoffLimit", 20),
            ("template", Yaml.Map(("spec", Yaml.Map(
                ("restartPolicy", "OnFailure"),
                ("containers", new[]
                {
                    Yaml.Map(
                        ("name", "create-topics"),
                        ("image", workload.Image),
                        ("command", new[] { "/bin/sh", "-c", cluster.TopicsScript($"{workload.Name}:{port}") })),
                })))))));
    }

    private static string SecretsExample(DeploymentPlan plan) => plan.ParametersExample("""
        # The Secret somaagent-secrets: copy to secrets.env (never committed), give every key a value, then
        # kubectl apply -k deploy/kubernetes. Values must be URI-safe (letters and digits: openssl rand -hex 24).

        """, name => name);

    private static OrderedDictionary<string, object?>? Probe(Workload workload, string type) =>
        workload.Probes.Where(p => p.Type == type).Select(p => Yaml.Map(
            ("httpGet", Yaml.Map(("path", p.Path), ("port", "http"))),
            ("initialDelaySeconds", p.InitialDelay),
            ("periodSeconds", p.Period),
            ("timeoutSeconds", p.Timeout),
            ("failureThreshold", p.FailureThreshold))).FirstOrDefault();

    private static OrderedDictionary<string, object?> Service(string name, string workload, IEnumerable<(string Name, int Port)> ports, bool headless, bool publishNotReady = false) =>
        Object("v1", "Service", name, spec: Yaml.Map(
            ("clusterIP", headless ? "None" : null),
            ("publishNotReadyAddresses", publishNotReady ? true : null),
            ("selector", Labels(workload, partOf: false)),
            ("ports", ports.Select(p => Yaml.Map(("name", PortNameOf(p.Name)), ("port", p.Port), ("targetPort", PortNameOf(p.Name)))).ToList())));

    private static OrderedDictionary<string, object?> DisruptionBudget(string workload) =>
        Object("policy/v1", "PodDisruptionBudget", workload, spec: Yaml.Map(
            ("maxUnavailable", 1),
            ("selector", Selector(workload))));

    private static OrderedDictionary<string, object?> Claim(string name, string size) => Yaml.Map(
        ("metadata", Yaml.Map(("name", name))),
        ("spec", Yaml.Map(
            ("accessModes", new List<string> { "ReadWriteOnce" }),
            ("resources", Yaml.Map(("requests", Yaml.Map(("storage", size))))))));

    private static OrderedDictionary<string, object?> Object(string apiVersion, string kind, string name, object? spec = null, object? data = null, bool labels = true) => Yaml.Map(
        ("apiVersion", apiVersion),
        ("kind", kind),
        ("metadata", Yaml.Map(("name", name), ("labels", labels ? Yaml.Map(("app.kubernetes.io/part-of", PartOf)) : null))),
        ("spec", spec),
        ("data", data));

    private static OrderedDictionary<string, object?> Selector(string workload) => Yaml.Map(("matchLabels", Labels(workload, partOf: false)));

    private static OrderedDictionary<string, object?> Labels(string workload, bool partOf = true) =>
        Yaml.Map(("app.kubernetes.io/name", workload), ("app.kubernetes.io/part-of", partOf ? PartOf : null));

    private static OrderedDictionary<string, object?> Data(IEnumerable<(string Key, string Value)> entries) =>
        Yaml.Map([.. entries.Select(e => (e.Key, (object?)e.Value))]);

    /// <summary><c>config-grafana-dashboards</c> for deploy/grafana/dashboards.</summary>
    public static string ConfigMapNameOf(string folder) => "config-" + folder["deploy/".Length..].Replace('/', '-');

    private static string VolumeNameOf(string volume) => volume.Replace('.', '-').ToLowerInvariant();

    /// <summary>Port names are at most 15 characters in Kubernetes.</summary>
    private static string PortNameOf(string binding) => binding.Length <= 15 ? binding : binding[..15];

    private static string ParameterVariable(string parameter) => "PARAMETER_" + parameter.Replace('-', '_').ToUpperInvariant();

    /// <summary>Kubernetes expands <c>$(NAME)</c> in args and env values; text that only looks like one is escaped.</summary>
    private static string EscapeReferences(string text) => text.Replace("$(", "$$(", StringComparison.Ordinal);
}
