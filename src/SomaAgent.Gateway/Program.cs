using SomaAgent.Gateway.Catalog;
using SomaAgent.Gateway.ChatCompletions;
using SomaAgent.Gateway.Registry;
using SomaAgent.Gateway.Security;
using SomaAgent.Gateway.Sessions;
using SomaAgent.Security;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Policy;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

app.UseGatewayPipeline();
app.MapDefaultEndpoints();
app.MapGatewayDocs();

app.MapHealthApi();
// The registry's routes, forwarded: each route states its own authorization; the registry decides the rest.
app.MapRegistryForwarding();
// Everything else needs a credential (when GATEWAY_REQUIRE_AUTH is on) and the policy's consent: a route added
// here is protected by default.
var authenticated = app.MapGroup("").RequireAuthorization().RequirePolicy();
authenticated.MapCatalogApi();
authenticated.MapSessionsApi();
authenticated.MapChatCompletionsApi();
authenticated.MapKeysApi();
authenticated.MapTenantsApi();
authenticated.MapIdentityApi();

app.Run();
