using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
{
    document.Info.Title = "SomaAgent Registry API";
    document.Info.Version = "v1";
    document.Info.Description = "Signed, versioned capsules (agent packages). Publishing and signing arrive with the marketplace issue.";
    return Task.CompletedTask;
}));

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapDefaultEndpoints();
app.MapOpenApi("/openapi.json");
app.MapScalarApiReference("/scalar", options => options.WithOpenApiRoutePattern("/openapi.json"));
app.MapRegistryInfo();

app.Run();
