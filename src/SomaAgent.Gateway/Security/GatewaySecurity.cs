using Microsoft.Extensions.Options;
using SomaAgent.Gateway.Configuration;
using SomaAgent.Runtime.Storage;
using SomaAgent.Security;
using SomaAgent.Security.Keys;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The gateway's use of the shared authentication: API keys, scope policies and the bootstrap key.</summary>
internal static class GatewaySecurity
{
    public static void AddGatewaySecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSomaAgentAuthentication(sp => sp.GetRequiredService<IOptions<GatewayOptions>>().Value.RequireAuth);
        services.AddSomaAgentAccessChecks(builder.Configuration);
        // The policy step (OPA_URL, else the built-in rules); SomaAgent:Gateway:PolicyFailOpen also opens it.
        services.AddSomaAgentPolicy();
        services.AddOptions<SomaAgent.Security.Policy.PolicyOptions>()
            .PostConfigure<IOptions<GatewayOptions>>((policy, gateway) => policy.FailOpen |= gateway.Value.PolicyFailOpen);

        // The build-time OpenAPI generator runs this host too; it must never mint (and print) a key.
        var generatingDocument = DataHome.IsBuildTimeDocumentGeneration;
        var embedded = string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("postgres"));
        var dataDirectory = builder.DataDirectory();
        services.AddOptions<ApiKeyBootstrapOptions>().Configure<IOptions<GatewayOptions>, IConfiguration>((bootstrap, gateway, configuration) =>
        {
            bootstrap.BootstrapKey = configuration[GatewayOptionsValidator.BootstrapKeyName] is { Length: > 0 } key ? key.Trim() : null;
            bootstrap.DefaultTenant = gateway.Value.DefaultTenant;
            bootstrap.GenerateWhenMissing = gateway.Value.RequireAuth && embedded && !generatingDocument;
            bootstrap.GeneratedKeyFile = Path.Combine(dataDirectory, ApiKeyBootstrapOptions.GeneratedKeyFileName);
        });
        // After the schema migration (the store's initializer is registered first).
        services.AddHostedService<ApiKeyBootstrapper>();
    }
}
