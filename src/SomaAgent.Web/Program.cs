using SomaAgent.Web;
using SomaAgent.Web.Components;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddRazorComponents();
builder.AddGatewayClient();

var app = builder.Build();

app.UseExceptionHandler("/error", createScopeForErrors: true);
app.UseAntiforgery();
app.MapDefaultEndpoints();
app.MapStaticAssets();
app.MapRazorComponents<App>();

app.Run();
