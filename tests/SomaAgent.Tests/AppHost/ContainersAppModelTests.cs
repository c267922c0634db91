#pragma warning disable ASPIREPROBES001 // the probes the AppHost declares are still marked for evaluation
using Aspire.Hosting.ApplicationModel;

namespace SomaAgent.Tests.AppHost;

/// <summary>The containers topology as an app model: what Docker machines would run. Nothing is started.</summary>
public sealed class ContainersAppModelTests(ContainersAppModelTests.Fixture fixture) : IClassFixture<ContainersAppModelTests.Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private AppModel App => fixture.App;

    [Fact]
    public async Task Kafka_runs_one_KRaft_node_that_is_broker_and_controller()
    {
        var kafka = App.Resource<ContainerResource>("kafka");
        var environment = await App.EnvironmentOfAsync("kafka", Ct);

        kafka.Annotations.OfType<ContainerImageAnnotation>().Single().Image.ShouldBe("apache/kafka");
        environment["KAFKA_PROCESS_ROLES"].ShouldBe("broker,controller");
        environment["KAFKA_CONTROLLER_QUORUM_VOTERS"].ShouldBe("1@localhost:9093");
        environment["KAFKA_CONTROLLER_LISTENER_NAMES"].ShouldBe("CONTROLLER");
        environment.ShouldNotContainKey("KAFKA_ZOOKEEPER_CONNECT");
    }

    [Fact]
    public async Task Kafka_is_recent_enough_for_the_consumer_group_protocol_the_services_use()
    {
        var image = App.Resource<ContainerResource>("kafka").Annotations.OfType<ContainerImageAnnotation>().Single();

        // KIP-848 (group.protocol=consumer) is generally available from Kafka 4.0.
        Version.Parse(image.Tag!).Major.ShouldBeGreaterThanOrEqualTo(4);
        (await App.EnvironmentOfAsync("conversation-worker", Ct)).ShouldNotContainKey("SomaAgent__Kafka__GroupProtocol");
    }

    [Theory]
    [InlineData("conversation-worker")]
    [InlineData("tool-executor")]
    public async Task Manifests_replicate_every_topic_three_times_and_run_two_replicas_of_each_worker_role(string role)
    {
        (await App.EnvironmentOfAsync(role, Ct))["SomaAgent__Kafka__ReplicationFactor"].ShouldBe("3");
        (await App.EnvironmentOfAsync("gateway", Ct))["SomaAgent__Kafka__ReplicationFactor"].ShouldBe("3");
        App.Resource(role).Annotations.OfType<ReplicaAnnotation>().Single().Replicas.ShouldBe(2);
    }

    [Theory]
    [InlineData("conversation-worker")]
    [InlineData("tool-executor")]
    public async Task Each_worker_role_is_a_resource_of_the_workers_project_that_runs_only_its_role(string role)
    {
        var project = App.Resource<ProjectResource>(role).GetProjectMetadata().ProjectPath;

        Path.GetFileName(project).ShouldBe("SomaAgent.Workers.csproj");
        (await App.EnvironmentOfAsync(role, Ct))["SomaAgent__Workers__Roles"].ShouldBe(role);
        App.Model.Resources.ShouldNotContain(r => r.Name == "workers");
    }

    [Fact]
    public void The_roles_are_the_engines_consumer_groups()
    {
        SomaAgent.AppHost.WorkerRoles.ConversationWorker.ShouldBe(Microsoft.Extensions.DependencyInjection.EngineServiceCollectionExtensions.ConversationWorkerGroup);
        SomaAgent.AppHost.WorkerRoles.ToolExecutor.ShouldBe(Microsoft.Extensions.DependencyInjection.EngineServiceCollectionExtensions.ToolExecutorGroup);
    }

    [Theory]
    [InlineData("gateway", 2, 6)]
    [InlineData("conversation-worker", 2, 6)]
    [InlineData("tool-executor", 2, 6)]
    [InlineData("registry", 2, 2)]
    [InlineData("web", 2, 2)]
    public void Services_declare_their_deployed_replicas_and_probes(string name, int min, int max)
    {
        var scaling = App.Resource(name).Annotations.OfType<SomaAgent.AppHost.Deployment.ScalingAnnotation>().Single();
        var probes = App.Resource(name).Annotations.OfType<EndpointProbeAnnotation>().ToDictionary(p => p.Type, p => p.Path);

        (scaling.MinReplicas, scaling.MaxReplicas).ShouldBe((min, max));
        probes[ProbeType.Readiness].ShouldBe("/health");
        probes[ProbeType.Liveness].ShouldBe("/alive");
    }

    [Fact]
    public async Task Prometheus_evaluates_the_repositorys_alert_rules_and_grafana_is_provisioned_from_deploy()
    {
        var prometheus = App.Resource("prometheus").Annotations.OfType<ContainerMountAnnotation>().Where(m => m.Type == ContainerMountType.BindMount).ToList();
        var grafana = App.Resource("grafana").Annotations.OfType<ContainerMountAnnotation>().Select(m => (m.Source, m.Target)).ToList();

        prometheus.ShouldContain(m => m.Source == Path.Combine(AppModel.RepositoryRoot, "deploy", "prometheus") && m.Target == "/etc/prometheus");
        (await App.ArgumentsOfAsync("prometheus", Ct)).ShouldContain("--config.file=/etc/prometheus/prometheus.yml");
        grafana.ShouldContain((Path.Combine(AppModel.RepositoryRoot, "deploy", "grafana", "dashboards"), "/var/lib/grafana/dashboards/somaagent"));
        grafana.ShouldContain((Path.Combine(AppModel.RepositoryRoot, "deploy", "grafana", "provisioning", "datasources"), "/etc/grafana/provisioning/datasources"));
        (await App.EnvironmentOfAsync("grafana", Ct))["PROMETHEUS_URL"].ShouldBe("{prometheus.bindings.http.url}");
    }

    [Fact]
    public void Volumes_have_names_of_their_own_so_every_clone_generates_the_same_manifests()
    {
        var volumes = App.Model.Resources.SelectMany(r => r.Annotations.OfType<ContainerMountAnnotation>())
            .Where(m => m.Type == ContainerMountType.Volume).Select(m => m.Source).Order().ToList();

        // Aspire's default volume name hashes the AppHost's path on the machine.
        volumes.ShouldBe(["prometheus-data", "somaagent-postgres-data"]);
    }

    [Fact]
    public void Redis_is_declared_as_redis()
    {
        App.Model.Resources.OfType<RedisResource>().Single().Name.ShouldBe("redis");
    }

    [Fact]
    public void Postgres_database_somaagent_lives_on_the_postgres_server()
    {
        var database = App.Resource<PostgresDatabaseResource>("postgres");

        database.DatabaseName.ShouldBe("somaagent");
        database.Parent.Name.ShouldBe("postgres-server");
    }

    [Fact]
    public async Task Vault_runs_in_dev_mode_with_the_generated_root_token()
    {
        var environment = await App.EnvironmentOfAsync("vault", Ct);

        environment["VAULT_DEV_ROOT_TOKEN_ID"].ShouldBe("{vault-token.value}");
        environment["VAULT_DEV_LISTEN_ADDRESS"].ShouldBe("0.0.0.0:8200");
        App.Resource<ParameterResource>("vault-token").Secret.ShouldBeTrue();
    }

    [Fact]
    public async Task Opa_serves_the_repository_policies_from_a_read_only_bind_mount()
    {
        var mount = App.Resource("opa").Annotations.OfType<ContainerMountAnnotation>().Single();
        var arguments = await App.ArgumentsOfAsync("opa", Ct);

        mount.Type.ShouldBe(ContainerMountType.BindMount);
        mount.Source.ShouldBe(Path.Combine(AppModel.RepositoryRoot, "deploy", "policies"));
        Directory.EnumerateFiles(mount.Source!, "*.rego").ShouldNotBeEmpty();
        mount.Target.ShouldBe("/policies");
        mount.IsReadOnly.ShouldBeTrue();
        arguments.ShouldBe(["run", "--server", "--addr=0.0.0.0:8181", "/policies"]);
    }

    [Fact]
    public async Task OpenFga_runs_its_server()
    {
        var openFga = App.Resource<ContainerResource>("openfga");

        var image = openFga.Annotations.OfType<ContainerImageAnnotation>().Single();
        image.Image.ShouldBe("openfga/openfga");
        // The access checker writes tuples with on_duplicate: ignore, which OpenFGA accepts from 1.10 on.
        Version.Parse(image.Tag!.TrimStart('v')).ShouldBeGreaterThanOrEqualTo(new Version(1, 10));
        (await App.ArgumentsOfAsync("openfga", Ct)).ShouldBe(["run"]);
    }

    [Fact]
    public async Task Minio_root_credentials_come_from_parameters()
    {
        var environment = await App.EnvironmentOfAsync("minio", Ct);

        environment["MINIO_ROOT_USER"].ShouldBe("{minio-user.value}");
        environment["MINIO_ROOT_PASSWORD"].ShouldBe("{minio-password.value}");
        App.Resource<ParameterResource>("minio-password").Secret.ShouldBeTrue();
    }

    [Fact]
    public async Task Keycloak_imports_the_somaagent_realm_at_start()
    {
        var mount = App.Resource("keycloak").Annotations.OfType<ContainerMountAnnotation>().Single();
        var arguments = await App.ArgumentsOfAsync("keycloak", Ct);

        mount.Source.ShouldBe(Path.Combine(AppModel.RepositoryRoot, "deploy", "keycloak"));
        File.Exists(Path.Combine(mount.Source!, "somaagent-realm.json")).ShouldBeTrue();
        mount.Target.ShouldBe("/opt/keycloak/data/import");
        mount.IsReadOnly.ShouldBeTrue();
        arguments.ShouldBe(["start-dev", "--import-realm"]);
    }

    [Theory]
    [InlineData("kafka")]
    [InlineData("redis")]
    [InlineData("postgres-server")]
    [InlineData("postgres")]
    [InlineData("vault")]
    [InlineData("opa")]
    [InlineData("openfga")]
    [InlineData("minio")]
    [InlineData("keycloak")]
    [InlineData("prometheus")]
    [InlineData("grafana")]
    public void Backing_resource_has_a_health_check(string name)
    {
        App.Resource(name).Annotations.OfType<HealthCheckAnnotation>().ShouldNotBeEmpty();
    }

    // Waiting for the postgres database also waits for its server: Aspire adds the parent on its own.
    [Theory]
    [InlineData("gateway", new[] { "kafka", "keycloak", "opa", "openfga", "postgres", "postgres-server", "redis", "vault" })]
    [InlineData("conversation-worker", new[] { "kafka", "opa", "postgres", "postgres-server", "redis" })]
    [InlineData("tool-executor", new[] { "kafka", "opa", "postgres", "postgres-server", "redis" })]
    [InlineData("registry", new[] { "keycloak", "minio", "openfga", "postgres", "postgres-server", "vault" })]
    [InlineData("web", new string[0])]
    public void Service_waits_until_what_it_uses_is_healthy(string name, string[] dependencies)
    {
        App.WaitsOf(name).ShouldBe(dependencies);
        App.Resource(name).Annotations.OfType<WaitAnnotation>().ShouldAllBe(w => w.WaitType == WaitType.WaitUntilHealthy);
    }

    [Fact]
    public async Task Gateway_gets_every_backing_server_it_talks_to()
    {
        var environment = await App.EnvironmentOfAsync("gateway", Ct);

        environment["ConnectionStrings__postgres"].ShouldBe("{postgres.connectionString}");
        environment["ConnectionStrings__redis"].ShouldBe("{redis.connectionString}");
        environment["ConnectionStrings__kafka"].ShouldBe("{kafka.bindings.tcp.host}:{kafka.bindings.tcp.port}");
        environment["VAULT_ADDR"].ShouldBe("{vault.bindings.http.url}");
        environment["VAULT_TOKEN"].ShouldBe("{vault-token.value}");
        environment["OPA_URL"].ShouldBe("{opa.bindings.http.url}");
        environment["OPENFGA_URL"].ShouldBe("{openfga.bindings.http.url}");
        environment["OIDC_AUTHORITY"].ShouldBe("{keycloak.bindings.http.url}/realms/somaagent");
    }

    [Fact]
    public async Task Gateway_has_no_embedded_data_directory_with_containers()
    {
        var environment = await App.EnvironmentOfAsync("gateway", Ct);

        environment.ShouldNotContainKey("SomaAgent__DataDirectory");
    }

    [Fact]
    public async Task Gateway_leaves_the_turns_to_the_workers_service_with_containers()
    {
        var environment = await App.EnvironmentOfAsync("gateway", Ct);

        environment["SomaAgent__Gateway__HostWorkers"].ShouldBe("false");
    }

    [Theory]
    [InlineData("conversation-worker")]
    [InlineData("tool-executor")]
    public async Task Worker_roles_get_the_stores_the_bus_and_the_policy_engine(string role)
    {
        var environment = await App.EnvironmentOfAsync(role, Ct);

        environment["ConnectionStrings__postgres"].ShouldBe("{postgres.connectionString}");
        environment["ConnectionStrings__redis"].ShouldBe("{redis.connectionString}");
        environment["ConnectionStrings__kafka"].ShouldBe("{kafka.bindings.tcp.host}:{kafka.bindings.tcp.port}");
        environment["OPA_URL"].ShouldBe("{opa.bindings.http.url}");
    }

    [Fact]
    public async Task Registry_gets_object_storage_secrets_and_the_issuer()
    {
        var environment = await App.EnvironmentOfAsync("registry", Ct);

        environment["ConnectionStrings__postgres"].ShouldBe("{postgres.connectionString}");
        environment["S3__ServiceUrl"].ShouldBe("{minio.bindings.http.url}");
        environment["S3__AccessKey"].ShouldBe("{minio-user.value}");
        environment["S3__SecretKey"].ShouldBe("{minio-password.value}");
        environment["VAULT_ADDR"].ShouldBe("{vault.bindings.http.url}");
        environment["VAULT_TOKEN"].ShouldBe("{vault-token.value}");
        environment["OIDC_AUTHORITY"].ShouldBe("{keycloak.bindings.http.url}/realms/somaagent");
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("registry")]
    public async Task Services_require_the_audience_the_keycloak_realm_puts_in_tokens(string service)
    {
        var environment = await App.EnvironmentOfAsync(service, Ct);
        using var realm = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(
            Path.Combine(AppModel.RepositoryRoot, "deploy", "keycloak", "somaagent-realm.json"), Ct));
        var audiences = realm.RootElement.GetProperty("clients").EnumerateArray()
            .SelectMany(c => c.GetProperty("protocolMappers").EnumerateArray())
            .Where(m => m.GetProperty("protocolMapper").GetString() == "oidc-audience-mapper")
            .Select(m => m.GetProperty("config").GetProperty("included.custom.audience").GetString());

        environment["OIDC_AUDIENCE"].ShouldBe("somaagent");
        audiences.ShouldContain("somaagent");
        // The dev Keycloak speaks http on the cluster network too.
        environment["SomaAgent__Jwt__AllowHttpMetadata"].ShouldBe("true");
    }

    [Fact]
    public async Task The_web_signs_users_in_through_the_realms_public_PKCE_client_without_waiting_for_keycloak()
    {
        var environment = await App.EnvironmentOfAsync("web", Ct);
        using var realm = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(
            Path.Combine(AppModel.RepositoryRoot, "deploy", "keycloak", "somaagent-realm.json"), Ct));
        var web = realm.RootElement.GetProperty("clients").EnumerateArray().Single(c => c.GetProperty("clientId").GetString() == "somaagent-web");
        var mappers = web.GetProperty("protocolMappers").EnumerateArray().ToList();

        environment["OIDC_AUTHORITY"].ShouldBe("{keycloak.bindings.http.url}/realms/somaagent");
        App.WaitsOf("web").ShouldBeEmpty();
        web.GetProperty("publicClient").GetBoolean().ShouldBeTrue();
        web.GetProperty("standardFlowEnabled").GetBoolean().ShouldBeTrue();
        web.GetProperty("attributes").GetProperty("pkce.code.challenge.method").GetString().ShouldBe("S256");
        web.GetProperty("redirectUris").EnumerateArray().Select(u => u.GetString()).ShouldContain("http://localhost:5140/signin-oidc");
        mappers.ShouldContain(m => m.GetProperty("protocolMapper").GetString() == "oidc-usermodel-attribute-mapper"
            && m.GetProperty("config").GetProperty("claim.name").GetString() == "tenant");
        mappers.ShouldContain(m => m.GetProperty("protocolMapper").GetString() == "oidc-audience-mapper");
        realm.RootElement.GetProperty("users").EnumerateArray().ShouldContain(u => u.GetProperty("attributes").GetProperty("tenant")[0].GetString() == "default");
    }

    /// <summary>One containers model for the class: building it is cheap, but there is no need to repeat it.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private AppModel? _app;

        public AppModel App => _app ?? throw new InvalidOperationException("The fixture is not initialized.");

        public async ValueTask InitializeAsync() =>
            _app = await AppModel.BuildAsync("containers", TestContext.Current.CancellationToken);

        public async ValueTask DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }
        }
    }
}
