using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.AppHost.Deployment;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.AppHost;

/// <summary>The backing servers of the containers topology.</summary>
public sealed record BackingContainers(
    IResourceBuilder<PostgresDatabaseResource> Postgres,
    IResourceBuilder<RedisResource> Redis,
    IResourceBuilder<ContainerResource> Kafka,
    IResourceBuilder<ContainerResource> Vault,
    IResourceBuilder<ParameterResource> VaultToken,
    IResourceBuilder<ContainerResource> Opa,
    IResourceBuilder<ContainerResource> OpenFga,
    IResourceBuilder<ContainerResource> Minio,
    IResourceBuilder<ParameterResource> MinioUser,
    IResourceBuilder<ParameterResource> MinioPassword,
    IResourceBuilder<ContainerResource> Keycloak);

public static class AppHostExtensions
{
    public const int DefaultGatewayPort = 8010;
    public const int KafkaPort = 9092;

    /// <summary>Partitions of every topic: the most consumers a group can keep busy.</summary>
    public const int KafkaPartitions = 6;

    /// <summary>Brokers of the deployed Kafka cluster; every partition is kept on all three.</summary>
    public const int DeployedKafkaBrokers = 3;

    /// <summary>The gateway listens on GATEWAY_PORT (8010 unless <c>SomaAgent:GatewayPort</c> says otherwise), unproxied.</summary>
    public static IResourceBuilder<ProjectResource> WithGatewayEndpoint(this IResourceBuilder<ProjectResource> gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        var port = gateway.ApplicationBuilder.Configuration.GetValue("SomaAgent:GatewayPort", DefaultGatewayPort);
        return gateway.WithHttpEndpoint(port: port, env: "GATEWAY_PORT", isProxied: false);
    }

    /// <summary>
    /// The simulated model's pace (<c>SomaAgent:Models:Simulated:TimePerTokenMs</c>, <c>TimeToFirstTokenMs</c>,
    /// <c>ToolCallPauseMs</c>), set once on the AppHost for every service that runs turns: a demo (or a browser test)
    /// can watch an answer stream in as a real model's would.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSimulatedModelPace(this IResourceBuilder<ProjectResource> service)
    {
        ArgumentNullException.ThrowIfNull(service);
        foreach (var setting in service.ApplicationBuilder.Configuration.GetSection("SomaAgent:Models:Simulated").GetChildren())
        {
            service.WithEnvironment($"SomaAgent__Models__Simulated__{setting.Key}", setting.Value);
        }
        return service;
    }

    /// <summary>Embedded: SQLite in the data folder (default <c>.data</c> at the repository root).</summary>
    public static IResourceBuilder<ProjectResource> WithEmbeddedStore(this IResourceBuilder<ProjectResource> service, IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(builder);
        var folder = builder.Configuration["SomaAgent:DataDirectory"]
            ?? Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "..", ".data"));
        return service.WithEnvironment("SomaAgent__DataDirectory", folder);
    }

    /// <summary>Kafka (KRaft), Redis, PostgreSQL, Vault (dev), OPA, OpenFGA, MinIO and Keycloak, each with a health check.</summary>
    public static BackingContainers AddBackingContainers(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var root = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".."));

        // The volume is named, not left to Aspire: its default name hashes the AppHost's path on this machine, which
        // would differ in every clone and so in every generated manifest.
        var postgres = builder.AddPostgres("postgres-server").WithDataVolume("somaagent-postgres-data").AddDatabase("postgres", "somaagent");
        var redis = builder.AddRedis("redis");

        var kafka = builder.AddContainer("kafka", "apache/kafka", "4.1.0")
            .WithEndpoint(port: KafkaPort, targetPort: KafkaPort, name: "tcp", isProxied: false)
            .WithEnvironment("KAFKA_NODE_ID", "1")
            .WithEnvironment("KAFKA_PROCESS_ROLES", "broker,controller")
            .WithEnvironment("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
            .WithEnvironment("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://localhost:9092")
            .WithEnvironment("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT")
            .WithEnvironment("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
            .WithEnvironment("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_NUM_PARTITIONS", KafkaPartitions.ToString(CultureInfo.InvariantCulture))
            .WithAnnotation(new KafkaClusterAnnotation(
                Brokers: DeployedKafkaBrokers,
                Topics: [.. Topics.All, .. Topics.All.Select(Topics.DeadLetter)],
                Partitions: KafkaPartitions,
                ReplicationFactor: DeployedKafkaBrokers));
        builder.Services.AddHealthChecks().AddAsyncCheck("kafka-reachable", () => TcpHealth.CheckAsync("localhost", KafkaPort));
        kafka.WithHealthCheck("kafka-reachable");

        var vaultToken = builder.AddParameter("vault-token", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true);
        var vault = builder.AddContainer("vault", "hashicorp/vault", "1.18")
            .WithHttpEndpoint(targetPort: 8200, name: "http")
            .WithEnvironment("VAULT_DEV_ROOT_TOKEN_ID", vaultToken)
            .WithEnvironment("VAULT_DEV_LISTEN_ADDRESS", "0.0.0.0:8200")
            .WithHttpHealthCheck("/v1/sys/health");

        var opa = builder.AddContainer("opa", "openpolicyagent/opa", "1.4.2")
            .WithHttpEndpoint(targetPort: 8181, name: "http")
            .WithBindMount(Path.Combine(root, "deploy", "policies"), "/policies", isReadOnly: true)
            .WithArgs("run", "--server", "--addr=0.0.0.0:8181", "/policies")
            .WithHttpHealthCheck("/health");

        var openFga = builder.AddContainer("openfga", "openfga/openfga", "v1.10.0")
            .WithHttpEndpoint(targetPort: 8080, name: "http")
            .WithArgs("run")
            .WithHttpHealthCheck("/healthz");

        var minioUser = builder.AddParameter("minio-user", "somaagent");
        var minioPassword = builder.AddParameter("minio-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true);
        var minio = builder.AddContainer("minio", "minio/minio", "RELEASE.2025-04-22T22-12-26Z")
            .WithHttpEndpoint(targetPort: 9000, name: "http")
            .WithEnvironment("MINIO_ROOT_USER", minioUser)
            .WithEnvironment("MINIO_ROOT_PASSWORD", minioPassword)
            .WithArgs("server", "/data")
            .WithHttpHealthCheck("/minio/health/live");

        var keycloak = builder.AddContainer("keycloak", "quay.io/keycloak/keycloak", "26.2")
            .WithHttpEndpoint(targetPort: 8080, name: "http")
            .WithHttpEndpoint(targetPort: 9000, name: "management")
            .WithEnvironment("KC_BOOTSTRAP_ADMIN_USERNAME", "admin")
            .WithEnvironment("KC_BOOTSTRAP_ADMIN_PASSWORD", builder.AddParameter("keycloak-admin-password", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true))
            .WithEnvironment("KC_HEALTH_ENABLED", "true")
            .WithBindMount(Path.Combine(root, "deploy", "keycloak"), "/opt/keycloak/data/import", isReadOnly: true)
            .WithArgs("start-dev", "--import-realm")
            .WithHttpHealthCheck("/health/ready", endpointName: "management");

        return new BackingContainers(postgres, redis, kafka, vault, vaultToken, opa, openFga, minio, minioUser, minioPassword, keycloak);
    }

    /// <summary>Replicas of each worker role in a local run of the containers topology (<c>SomaAgent:WorkerReplicas</c>); they share turns through leases.</summary>
    public const int DefaultWorkerReplicas = 2;

    /// <summary>
    /// A role of the Workers project (<c>SomaAgent:Workers:Roles</c>) as a service of its own, on a port of its own
    /// (the launch profile's fixed port would clash between the roles).
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddWorkerRole(this IDistributedApplicationBuilder builder, string role)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddProject<Projects.SomaAgent_Workers>(role, launchProfileName: null)
            .WithHttpEndpoint()
            .WithEnvironment("SomaAgent__Workers__Roles", role)
            .WithSimulatedModelPace()
            .WithHealthProbes();
    }

    /// <summary>Gives each service the connection settings of the servers it uses, and waits for them to be healthy.</summary>
    public static void WireTo(this BackingContainers backing, IResourceBuilder<ProjectResource> gateway, IReadOnlyList<IResourceBuilder<ProjectResource>> workerRoles,
        IResourceBuilder<ProjectResource> registry, IResourceBuilder<ProjectResource> web)
    {
        ArgumentNullException.ThrowIfNull(backing);
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(workerRoles);
        var builder = gateway.ApplicationBuilder;
        var kafka = ReferenceExpression.Create($"{backing.Kafka.GetEndpoint("tcp").Property(EndpointProperty.HostAndPort)}");
        // The dev container is one broker; the manifests are for clusters, where every topic keeps three copies.
        var replicationFactor = builder.ExecutionContext.IsPublishMode
            ? backing.Kafka.Resource.Annotations.OfType<KafkaClusterAnnotation>().Single().ReplicationFactor.ToString(CultureInfo.InvariantCulture)
            : "1";
        var replicas = builder.Configuration.GetValue("SomaAgent:WorkerReplicas", DefaultWorkerReplicas);

        gateway
            .WithReference(backing.Postgres).WaitFor(backing.Postgres)
            .WithReference(backing.Redis).WaitFor(backing.Redis)
            .WithEnvironment("ConnectionStrings__kafka", kafka).WaitFor(backing.Kafka)
            .WithEnvironment("SomaAgent__Kafka__ReplicationFactor", replicationFactor)
            // The Workers service runs the turns over Kafka; the gateway only serves the API and streams.
            .WithEnvironment("SomaAgent__Gateway__HostWorkers", "false")
            .WithEnvironment("VAULT_ADDR", backing.Vault.GetEndpoint("http")).WithEnvironment("VAULT_TOKEN", backing.VaultToken).WaitFor(backing.Vault)
            .WithEnvironment("OPA_URL", backing.Opa.GetEndpoint("http")).WaitFor(backing.Opa)
            .WithEnvironment("OPENFGA_URL", backing.OpenFga.GetEndpoint("http")).WaitFor(backing.OpenFga)
            .WithOidcIssuer(backing.Keycloak);

        foreach (var role in workerRoles)
        {
            role
                .WithReplicas(replicas)
                .WithReference(backing.Postgres).WaitFor(backing.Postgres)
                .WithReference(backing.Redis).WaitFor(backing.Redis)
                .WithEnvironment("ConnectionStrings__kafka", kafka).WaitFor(backing.Kafka)
                .WithEnvironment("SomaAgent__Kafka__ReplicationFactor", replicationFactor)
                .WithEnvironment("OPA_URL", backing.Opa.GetEndpoint("http")).WaitFor(backing.Opa);
        }

        registry
            .WithReference(backing.Postgres).WaitFor(backing.Postgres)
            .WithEnvironment("OPENFGA_URL", backing.OpenFga.GetEndpoint("http")).WaitFor(backing.OpenFga)
            .WithEnvironment("S3__ServiceUrl", backing.Minio.GetEndpoint("http"))
            .WithEnvironment("S3__AccessKey", backing.MinioUser)
            .WithEnvironment("S3__SecretKey", backing.MinioPassword).WaitFor(backing.Minio)
            .WithEnvironment("VAULT_ADDR", backing.Vault.GetEndpoint("http")).WithEnvironment("VAULT_TOKEN", backing.VaultToken).WaitFor(backing.Vault)
            .WithOidcIssuer(backing.Keycloak);

        // Users sign in to the Web through the realm's somaagent-web client; it does not wait for Keycloak, so its
        // sign-in page (API keys always work) is up first.
        web.WithOidcIssuer(backing.Keycloak, wait: false);
    }

    /// <summary>The audience deploy/keycloak/somaagent-realm.json's audience mapper puts in tokens; the services require it.</summary>
    public const string TokenAudience = "somaagent";

    /// <summary>
    /// The Keycloak realm as the service's OIDC issuer (<c>OIDC_AUTHORITY</c>, <c>OIDC_AUDIENCE</c>). The dev container
    /// (<c>start-dev</c>) speaks plain http, also on the cluster network of the manifests, so http metadata is allowed;
    /// a production issuer behind https needs no such setting. The HS256 secret (<c>GATEWAY_JWT_SECRET</c>) is not
    /// wired: the dev Vault starts empty, and a path to nothing would stop the service (docs/security.md).
    /// </summary>
    private static IResourceBuilder<ProjectResource> WithOidcIssuer(this IResourceBuilder<ProjectResource> service, IResourceBuilder<ContainerResource> keycloak, bool wait = true)
    {
        service
            .WithEnvironment("OIDC_AUTHORITY", ReferenceExpression.Create($"{keycloak.GetEndpoint("http")}/realms/somaagent"))
            .WithEnvironment("OIDC_AUDIENCE", TokenAudience)
            .WithEnvironment("SomaAgent__Jwt__AllowHttpMetadata", "true");
        return wait ? service.WaitFor(keycloak) : service;
    }

    /// <summary>
    /// An OIDC issuer of your own for the embedded topology (<c>OIDC_AUTHORITY</c> on the AppHost): the gateway accepts
    /// its tokens, and the Web offers single sign-on through it (client <c>somaagent-web</c>, code + PKCE).
    /// </summary>
    public static void WithOwnOidcIssuer(this IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> gateway, IResourceBuilder<ProjectResource> web)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Configuration["OIDC_AUTHORITY"] is not { Length: > 0 } authority)
        {
            return;
        }
        var audience = builder.Configuration["OIDC_AUDIENCE"] ?? TokenAudience;
        gateway.WithEnvironment("OIDC_AUTHORITY", authority).WithEnvironment("OIDC_AUDIENCE", audience);
        web.WithEnvironment("OIDC_AUTHORITY", authority);
    }
}
