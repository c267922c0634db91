using Scalar.AspNetCore;
using SomaAgent.Registry.Extensions;
using SomaAgent.Security;
using SomaAgent.Security.Hardening;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Policy;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddSomaAgentProblemDetails("registry");
// The platform's one JSON shape: snake_case, as the gateway answers.
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
{
    document.Info.Title = "SomaAgent Registry API";
    document.Info.Version = "v1";
    document.Info.Description = "Signed, versioned capsules (agent packages): publish, search, download, yank and install, per tenant.";
    return Task.CompletedTask;
}));

// The same keys and tokens as the gateway, checked by the same component against the same store.
builder.AddRegistryStore();
builder.AddArtifactStore();
builder.AddRegistryServices();
builder.Services.AddSomaAgentAuthentication(_ => SecuritySettings.RequireAuth(builder.Configuration));
// Behind the gateway: a request it forwards comes with the caller it authenticated, signed with the internal secret.
builder.Services.Configure<InternalAuthOptions>(options => options.AcceptForwardedCallers = true);
builder.Services.AddSomaAgentAccessChecks(builder.Configuration);
builder.Services.AddSomaAgentPolicy();
builder.AddSomaAgentHttpHardening();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseSomaAgentHttpHardening();
app.UseSomaAgentAuthentication();
app.UseAuthorization();
app.UsePolicy();
app.MapDefaultEndpoints();
app.MapOpenApi("/openapi.json");
app.MapScalarApiReference("/scalar", options => options.WithOpenApiRoutePattern("/openapi.json"));
app.MapRegistryInfo();
app.MapCapsuleSchemaApi();

// Everything under /v1 needs a credential and a policy decision: a route added here is protected by default.
var authenticated = app.MapGroup("").RequireAuthorization().RequirePolicy();
authenticated.MapIdentityApi();
authenticated.MapRegistryApi();

app.Run();
