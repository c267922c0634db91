using SomaAgent.AppHost;
using SomaAgent.AppHost.Deployment;

var builder = DistributedApplication.CreateBuilder(args);

var topology = builder.ChooseTopology();

// The platform-admin key of the default tenant: generated once per AppHost user secrets, shown in the dashboard.
var bootstrapKey = builder.AddParameter("bootstrap-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);
// Signs the caller the gateway forwards to the registry, so a request is authenticated once.
var internalSecret = builder.AddParameter("internal-secret", new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true);

// Scaled-out services stay at or under the 6 partitions of a topic: a seventh consumer in a group would idle.
var gateway = builder.AddProject<Projects.SomaAgent_Gateway>("gateway")
    .WithGatewayEndpoint()
    .WithEnvironment("SOMAAGENT_BOOTSTRAP_KEY", bootstrapKey)
    .WithSimulatedModelPace()
    .WithHealthProbes()
    .WithScaling(minReplicas: 2, maxReplicas: 6);
var registry = builder.AddProject<Projects.SomaAgent_Registry>("registry")
    .WithEnvironment("SOMAAGENT_INTERNAL_SECRET", internalSecret)
    .WithHealthProbes()
    .WithScaling(minReplicas: 2, maxReplicas: 2);
// One base URL: the gateway forwards the registry's routes. No WaitFor, so the gateway's health never depends
// on the registry's; while the registry is down its routes answer 503.
gateway.WithReference(registry).WithEnvironment("SOMAAGENT_INTERNAL_SECRET", internalSecret);

// The Web holds no key of its own: users sign in and it calls the gateway's one base URL as them. No WaitFor: its
// sign-in page is up while the gateway is not, and says so.
var web = builder.AddProject<Projects.SomaAgent_Web>("web")
    .WithHealthProbes()
    .WithScaling(minReplicas: 2, maxReplicas: 2)
    .WithExternalHttpEndpoints()
    .WithReference(gateway);

if (topology == Topology.Containers)
{
    // The Workers project runs each role as a service of its own, so each scales on its own load.
    var conversationWorker = builder.AddWorkerRole(WorkerRoles.ConversationWorker).WithScaling(minReplicas: 2, maxReplicas: 6);
    var toolExecutor = builder.AddWorkerRole(WorkerRoles.ToolExecutor).WithScaling(minReplicas: 2, maxReplicas: 6);
    var backing = builder.AddBackingContainers();
    backing.WireTo(gateway, [conversationWorker, toolExecutor], registry, web);
    builder.AddMonitoring([gateway, conversationWorker, toolExecutor, registry, web]);
}
else
{
    // The gateway runs the conversation worker and the tool executor in-process, over the in-memory bus.
    gateway.WithEmbeddedStore(builder);
    // The registry authenticates against the gateway's store; the gateway creates and migrates it.
    registry.WithEmbeddedStore(builder).WaitFor(gateway);
    builder.WithOwnOidcIssuer(gateway, web);
}

builder.PrintWhereToStart(web, gateway, bootstrapKey);
builder.WriteDeploymentManifestsOnPublish();

builder.Build().Run();
