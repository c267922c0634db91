using SomaAgent.Gateway.Catalog;
using SomaAgent.Gateway.ChatCompletions;
using SomaAgent.Gateway.Sessions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

app.UseGatewayPipeline();
app.MapDefaultEndpoints();
app.MapGatewayDocs();

app.MapHealthApi();
app.MapCatalogApi();
app.MapSessionsApi();
app.MapChatCompletionsApi();

app.Run();
