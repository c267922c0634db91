using SomaAgent.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

var topology = builder.ChooseTopology();

var gateway = builder.AddProject<Projects.SomaAgent_Gateway>("gateway")
    .WithGatewayEndpoint()
    .WithHttpHealthCheck("/health");
var workers = builder.AddProject<Projects.SomaAgent_Workers>("workers")
    .WithHttpHealthCheck("/health");
var registry = builder.AddProject<Projects.SomaAgent_Registry>("registry")
    .WithHttpHealthCheck("/health");

if (topology == Topology.Containers)
{
    builder.AddBackingContainers().WireTo(gateway, workers, registry);
}
else
{
    gateway.WithEmbeddedStore(builder);
}

builder.AddProject<Projects.SomaAgent_Web>("web")
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints()
    .WithReference(gateway).WaitFor(gateway)
    .WithReference(registry).WaitFor(registry);

builder.Build().Run();
