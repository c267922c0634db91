using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using SomaAgent.Tests.Gateway;
using SomaAgent.Web.Account;

namespace SomaAgent.Tests.Web;

/// <summary>
/// Renders the Web's pages with bUnit as a signed-in user whose SDK client talks to a real gateway (its in-memory
/// server): what the page shows is what the platform answered.
/// </summary>
public abstract class WebComponentTests : IAsyncDisposable
{
    protected WebComponentTests(GatewayApp gateway, string credential = GatewayApp.BootstrapKey, string scope = "platform:admin")
    {
        ArgumentNullException.ThrowIfNull(gateway);
        Gateway = gateway;
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
        Context.Services.AddMudServices();
        Context.Services.AddSomaAgentClient(settings => settings.BaseAddress = new Uri("http://localhost/"));
        Context.Services.RouteSdkTo(Gateway);
        Context.Services.AddDistributedMemoryCache();
        Context.Services.AddUserClients();
        var user = Context.AddAuthorization();
        user.SetAuthorized("bunit");
        user.SetClaims(new Claim(WebClaims.Credential, credential), new Claim(WebClaims.Tenant, "default"), new Claim(WebClaims.Scope, scope));
    }

    protected BunitContext Context { get; } = new();

    protected GatewayApp Gateway { get; }

    protected static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    /// <summary>A session the bootstrap key opened with <paramref name="input"/>, ended.</summary>
    protected async Task<Guid> EndedSessionAsync(string input)
    {
        using var client = Gateway.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", GatewayApp.BootstrapKey);
        using var created = await client.PostAsJsonAsync("/v1/sessions", new { input }, GatewayApp.Json, Ct);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        await Gateway.WaitForEndAsync(id, Ct);
        return id;
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public static class SdkRouting
{
    /// <summary>Sends the SDK's calls (its API and stream clients) to <paramref name="gateway"/>'s in-memory server.</summary>
    public static IServiceCollection RouteSdkTo(this IServiceCollection services, GatewayApp gateway)
    {
        foreach (var name in new[] { SomaAgentClientServiceCollectionExtensions.ApiClientName, SomaAgentClientServiceCollectionExtensions.StreamClientName })
        {
            services.AddHttpClient(name).ConfigurePrimaryHttpMessageHandler(() => gateway.Server.CreateHandler());
        }
        return services;
    }
}
