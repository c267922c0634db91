using System.Text.Json;
using System.Text.Json.Nodes;
using SomaAgent.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace SomaAgent.Tests.AppHost;

/// <summary>
/// The deployment files of <c>deploy/</c> and <c>azure.yaml</c>: regenerated from the AppHost exactly as
/// <c>eng/generate-manifests.sh</c> does, they must equal what is committed, and the Kubernetes objects must be valid
/// against the official API schemas and keep what an operator counts on.
/// </summary>
public sealed class DeploymentManifestsTests(DeploymentManifestsTests.Generated generated) : IClassFixture<DeploymentManifestsTests.Generated>
{
    private const string Regenerate = "the committed deployment files differ from the app model: run eng/generate-manifests.sh and commit the result";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Committed_kubernetes_compose_and_azd_files_match_the_app_model()
    {
        var regenerated = generated.Files.Where(f => f != "deploy/aspire-manifest.json").ToList();

        regenerated.ShouldContain("azure.yaml");
        regenerated.ShouldContain("deploy/compose/compose.yaml");
        regenerated.ShouldContain("deploy/kubernetes/kustomization.yaml");
        foreach (var file in regenerated)
        {
            var committed = Path.Combine(RepoPaths.Root, file);
            File.Exists(committed).ShouldBeTrue($"{file}: {Regenerate}");
            File.ReadAllText(committed).ShouldBe(File.ReadAllText(generated.PathOf(file)), $"{file}: {Regenerate}");
        }
        CommittedGeneratedFiles("deploy/kubernetes").Concat(CommittedGeneratedFiles("deploy/compose")).ShouldBeSubsetOf(regenerated, Regenerate);
    }

    [Fact]
    public void Committed_aspire_manifest_matches_the_app_model()
    {
        // Paths in the manifest are relative to its own folder, which is elsewhere for the regenerated one.
        var committed = WithFullPaths(Path.Combine(RepoPaths.Root, "deploy", "aspire-manifest.json"));
        var regenerated = WithFullPaths(generated.PathOf("deploy/aspire-manifest.json"));

        JsonNode.DeepEquals(committed, regenerated).ShouldBeTrue($"deploy/aspire-manifest.json: {Regenerate}");
    }

    [Fact]
    public void Committed_deployment_files_hold_no_path_of_this_machine()
    {
        foreach (var file in generated.Files)
        {
            var text = File.ReadAllText(Path.Combine(RepoPaths.Root, file));
            text.ShouldNotContain(RepoPaths.Root, Case.Sensitive, file);
            // The manifest's project paths climb out of deploy/ only to the repository's own folders.
            text.ShouldNotContain("\"../../", Case.Sensitive, file);
        }
    }

    [Fact]
    public async Task Every_kubernetes_object_is_valid_against_the_official_schemas()
    {
        var files = generated.Files.Where(f => f.StartsWith("deploy/kubernetes/", StringComparison.Ordinal) && f.EndsWith(".yaml", StringComparison.Ordinal)
            && !f.EndsWith("kustomization.yaml", StringComparison.Ordinal)).Select(generated.PathOf).ToArray();

        var (exitCode, output) = await NodeServer.RunAsync(Path.Combine(RepoPaths.Root, "tests", "SomaAgent.Tests", "Infrastructure", "kubernetes"),
            "kubernetes-models", ["validate.mjs", .. files]);

        exitCode.ShouldBe(0, output);
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBeGreaterThan(50, output);
    }

    [Fact]
    public async Task The_schema_check_refuses_an_object_that_breaks_the_schema()
    {
        var broken = Path.Combine(generated.Folder, "broken.yaml");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(generated.PathOf("deploy/kubernetes/web.yaml"), Ct))
            .Replace("containerPort: 8080", "containerPort: eighty", StringComparison.Ordinal), Ct);

        var (exitCode, output) = await NodeServer.RunAsync(Path.Combine(RepoPaths.Root, "tests", "SomaAgent.Tests", "Infrastructure", "kubernetes"),
            "kubernetes-models", "validate.mjs", broken);

        exitCode.ShouldBe(1);
        output.ShouldContain("invalid Deployment/web");
    }

    [Theory]
    [InlineData("gateway", 8010)]
    [InlineData("conversation-worker", 8080)]
    [InlineData("tool-executor", 8080)]
    public void Scaled_services_autoscale_within_the_partitions_and_keep_one_replica_through_disruptions(string service, int port)
    {
        var objects = generated.Kubernetes(service);
        var autoscaler = objects.Single(o => (string?)o["kind"] == "HorizontalPodAutoscaler");
        var budget = objects.Single(o => (string?)o["kind"] == "PodDisruptionBudget");

        ((int)autoscaler["spec"]!["minReplicas"]!).ShouldBe(2);
        ((int)autoscaler["spec"]!["maxReplicas"]!).ShouldBeInRange(2, 6);
        ((string?)autoscaler["spec"]!["scaleTargetRef"]!["name"]).ShouldBe(service);
        ((int)budget["spec"]!["maxUnavailable"]!).ShouldBe(1);
        var container = ContainerOf(objects);
        ((int)container["ports"]![0]!["containerPort"]!).ShouldBe(port);
        ((string?)container["resources"]!["requests"]!["cpu"]).ShouldNotBeNull("a CPU autoscaler needs CPU requests");
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("conversation-worker")]
    [InlineData("tool-executor")]
    [InlineData("registry")]
    [InlineData("web")]
    public void Services_are_probed_on_their_health_endpoints_and_scraped_on_every_replica(string service)
    {
        var objects = generated.Kubernetes(service);
        var container = ContainerOf(objects);
        var metrics = objects.Single(o => (string?)o["kind"] == "Service" && (string?)o["metadata"]!["name"] == $"{service}-metrics");

        ((string?)container["readinessProbe"]!["httpGet"]!["path"]).ShouldBe("/health");
        ((string?)container["livenessProbe"]!["httpGet"]!["path"]).ShouldBe("/alive");
        ((string?)metrics["spec"]!["clusterIP"]).ShouldBe("None");
        File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "prometheus", "prometheus.yml")).ShouldContain($"names: [{service}-metrics]");
    }

    [Theory]
    [InlineData("conversation-worker")]
    [InlineData("tool-executor")]
    public void Each_worker_role_runs_the_workers_image_in_its_own_role(string role)
    {
        var objects = generated.Kubernetes(role);
        var container = ContainerOf(objects);
        var settings = objects.Single(o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]!["name"] == $"{role}-env")["data"]!;

        ((string?)container["image"]).ShouldBe("somaagent/workers:latest");
        ((string?)settings["SomaAgent__Workers__Roles"]).ShouldBe(role);
        ((string?)settings["ConnectionStrings__kafka"]).ShouldBe("kafka:9092");
    }

    [Fact]
    public void Kafka_is_a_three_broker_cluster_whose_topics_have_six_partitions_and_three_copies()
    {
        var objects = generated.Kubernetes("kafka");
        var brokers = objects.Single(o => (string?)o["kind"] == "StatefulSet");
        var script = (string)objects.Single(o => (string?)o["kind"] == "Job")["spec"]!["template"]!["spec"]!["containers"]![0]!["command"]![2]!;
        var topics = new[] { "conversation.inbound", "tool.requests", "tool.results", "session.events" };

        ((int)brokers["spec"]!["replicas"]!).ShouldBe(3);
        foreach (var topic in topics.Concat(topics.Select(t => $"{t}.dead-letter")))
        {
            script.ShouldContain($"--topic {topic} --partitions 6 --replication-factor 3 --config min.insync.replicas=2");
        }
        foreach (var service in new[] { "gateway", "conversation-worker", "tool-executor" })
        {
            var configMap = generated.Kubernetes(service).Single(o => (string?)o["kind"] == "ConfigMap");
            ((string?)configMap["data"]!["SomaAgent__Kafka__ReplicationFactor"]).ShouldBe("3");
        }
    }

    [Fact]
    public void Secrets_are_referenced_from_the_secret_and_never_written_out()
    {
        var gateway = generated.Kubernetes("gateway");
        var env = ContainerOf(gateway)["env"]!.AsArray();
        var example = File.ReadAllText(generated.PathOf("deploy/kubernetes/secrets.env.example"));

        var bootstrap = env.Single(e => (string?)e!["name"] == "PARAMETER_BOOTSTRAP_KEY")!;
        ((string?)bootstrap["valueFrom"]!["secretKeyRef"]!["name"]).ShouldBe("somaagent-secrets");
        ((string?)env.Single(e => (string?)e!["name"] == "SOMAAGENT_BOOTSTRAP_KEY")!["value"]).ShouldBe("$(PARAMETER_BOOTSTRAP_KEY)");
        ((string)env.Single(e => (string?)e!["name"] == "ConnectionStrings__postgres")!["value"]!).ShouldContain("Password=$(PARAMETER_POSTGRES_SERVER_PASSWORD)");
        example.ShouldContain("\nbootstrap-key=\n");
        example.ShouldContain("\npostgres-server-password=\n");
    }

    [Fact]
    public void The_compose_file_runs_each_scaled_service_with_its_replicas_and_waits_for_the_topics()
    {
        var compose = generated.Yaml("deploy/compose/compose.yaml").Single()["services"]!;

        ((int)compose["conversation-worker"]!["deploy"]!["replicas"]!).ShouldBe(2);
        ((int)compose["tool-executor"]!["deploy"]!["replicas"]!).ShouldBe(2);
        compose["gateway"]!["ports"]!.AsArray().Select(p => (string?)p).ShouldBe(["8010-8011:8010"]);
        ((string?)compose["gateway"]!["depends_on"]!["kafka-topics"]!["condition"]).ShouldBe("service_completed_successfully");
        ((string?)compose["gateway"]!["environment"]!["SOMAAGENT_BOOTSTRAP_KEY"]).ShouldStartWith("${BOOTSTRAP_KEY:?");
        compose["kafka-0"].ShouldNotBeNull();
        compose["kafka-2"].ShouldNotBeNull();
    }

    [Fact]
    public void Azd_deploys_the_apphost_project()
    {
        var azure = generated.Yaml("azure.yaml").Single();

        ((string?)azure["services"]!["app"]!["project"]).ShouldBe("./src/SomaAgent.AppHost/SomaAgent.AppHost.csproj");
        ((string?)azure["services"]!["app"]!["host"]).ShouldBe("containerapp");
        File.Exists(Path.Combine(RepoPaths.Root, "src", "SomaAgent.AppHost", "SomaAgent.AppHost.csproj")).ShouldBeTrue();
    }

    /// <summary>The one container of the workload's Deployment.</summary>
    private static JsonNode ContainerOf(IReadOnlyList<JsonNode> objects) =>
        objects.Single(o => (string?)o["kind"] == "Deployment")["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!;

    private static IEnumerable<string> CommittedGeneratedFiles(string folder) =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, folder), "*", SearchOption.TopDirectoryOnly)
            .Where(f => File.ReadLines(f).FirstOrDefault()?.StartsWith("# Generated from the AppHost", StringComparison.Ordinal) == true)
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f).Replace('\\', '/'));

    private static JsonNode WithFullPaths(string manifest)
    {
        var root = JsonNode.Parse(File.ReadAllText(manifest))!;
        var folder = Path.GetDirectoryName(manifest)!;
        foreach (var resource in root["resources"]!.AsObject())
        {
            if (resource.Value!["path"] is JsonValue path)
            {
                resource.Value["path"] = Path.GetFullPath(Path.Combine(folder, (string)path!));
            }
            foreach (var mount in resource.Value["bindMounts"]?.AsArray() ?? [])
            {
                mount!["source"] = Path.GetFullPath(Path.Combine(folder, (string)mount["source"]!));
            }
        }
        return root;
    }

    /// <summary>The deployment files regenerated once for the class, into a folder of its own, by the AppHost as the script runs it.</summary>
    public sealed class Generated : IAsyncLifetime
    {
        public string Folder { get; } = Directory.CreateTempSubdirectory("somaagent-deploy-").FullName;

        /// <summary>Each file written, by its path from the root it was written to (<c>deploy/kubernetes/gateway.yaml</c>).</summary>
        public IReadOnlyList<string> Files { get; private set; } = [];

        public string PathOf(string file) => Path.Combine(Folder, file);

        public IReadOnlyList<JsonNode> Kubernetes(string workload) => Yaml($"deploy/kubernetes/{workload}.yaml");

        /// <summary>Every YAML document of the file, as JSON.</summary>
        public IReadOnlyList<JsonNode> Yaml(string file)
        {
            var parser = new Parser(new StringReader(File.ReadAllText(PathOf(file))));
            var deserializer = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build();
            var documents = new List<JsonNode>();
            parser.Consume<StreamStart>();
            while (parser.Accept<DocumentStart>(out _))
            {
                documents.Add(JsonSerializer.SerializeToNode(deserializer.Deserialize<object>(parser))!);
            }
            return documents;
        }

        public async ValueTask InitializeAsync()
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
            var (exitCode, output) = await CommandLine.RunAsync("dotnet", RepoPaths.Root,
                new Dictionary<string, string> { ["SomaAgent__Topology"] = "containers" },
                "run", "--project", "src/SomaAgent.AppHost", "-c", configuration, "--no-build", "--",
                "--publisher", "manifest", "--output-path", Path.Combine(Folder, "deploy", "aspire-manifest.json"));
            exitCode.ShouldBe(0, output);
            Files = [.. Directory.EnumerateFiles(Folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];
        }

        public ValueTask DisposeAsync()
        {
            Directory.Delete(Folder, recursive: true);
            return ValueTask.CompletedTask;
        }
    }
}
