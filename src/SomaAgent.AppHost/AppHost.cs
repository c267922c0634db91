using SomaAgent.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var topology = builder.ChooseTopology();

// The platform-admin key of the default tenant: generated once per AppHost user secrets, shown in the dashboard.
var bootstrapKey = builder.AddParameter("bootstrap-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);
// Signs the caller the gateway forwards to the registry, so a request is authenticated once.
var internalSecret = builder.AddParameter("internal-secret", new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true);

var gateway = builder.AddProject<Projects.SomaAgent_Gateway>("gateway")
    .WithGatewayEndpoint()
    .WithEnvironment("SOMAAGENT_BOOTSTRAP_KEY", bootstrapKey)
    .WithSimulatedModelPace()
    .WithHttpHealthCheck("/health");
var workers = builder.AddProject<Projects.SomaAgent_Workers>("workers")
    .WithSimulatedModelPace()
    .WithHttpHealthCheck("/health");
var registry = builder.AddProject<Projects.SomaAgent_Registry>("registry")
    .WithEnvironment("SOMAAGENT_INTERNAL_SECRET", internalSecret)
    .WithHttpHealthCheck("/health");
// One base URL: the gateway forwards the registry's routes. No WaitFor, so the gateway's health never depends
// on the registry's; while the registry is down its routes answer 503.
gateway.WithReference(registry).WithEnvironment("SOMAAGENT_INTERNAL_SECRET", internalSecret);

// The Web holds no key of its own: users sign in and it calls the gateway's one base URL as them. No WaitFor: its
// sign-in page is up while the gateway is not, and says so.
var web = builder.AddProject<Projects.SomaAgent_Web>("web")
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints()
    .WithReference(gateway);

if (topology == Topology.Containers)
{
    builder.AddBackingContainers().WireTo(gateway, workers, registry, web);
}
else
{
    gateway.WithEmbeddedStore(builder);
    // The registry authenticates against the gateway's store; the gateway creates and migrates it.
    registry.WithEmbeddedStore(builder).WaitFor(gateway);
    builder.WithOwnOidcIssuer(gateway, web);
}

builder.PrintWhereToStart(web, gateway, bootstrapKey);

builder.Build().Run();
