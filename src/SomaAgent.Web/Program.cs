using SomaAgent.Web.Components;
using SomaAgent.Web.Platform;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddSomaAgentWeb();

var app = builder.Build();

app.UseExceptionHandler("/error", createScopeForErrors: true);
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapDefaultEndpoints();
app.MapStaticAssets();
app.MapAccountEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Run();
