using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Security;
using SomaAgent.Runtime.Security.Access;
using SomaAgent.Runtime.Security.Audit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>One authentication for every SomaAgent service: API keys from the shared store, scopes as policies.</summary>
public static class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// Registers the key store, the <c>ApiKey</c> scheme (the default), scope policies and problem answers.
    /// The store itself comes with <c>AddSomaAgentRuntime</c>'s session store.
    /// </summary>
    public static IServiceCollection AddSomaAgentAuthentication(this IServiceCollection services, Func<IServiceProvider, bool> requireAuth)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(requireAuth);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiKeyStore>();
        services.AddSomaAgentAudit();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<IServiceProvider>((options, sp) => SomaAgentPolicies.Configure(options, requireAuth(sp)));
        services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        return services;
    }

    /// <summary>
    /// The resource access checker: OpenFGA when <c>OPENFGA_URL</c> (or <c>SomaAgent:OpenFga:Url</c>) is set,
    /// otherwise the tenant columns of the session store.
    /// </summary>
    public static IServiceCollection AddSomaAgentAccessChecks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<OpenFgaOptions>().BindConfiguration(OpenFgaOptions.SectionName)
            .PostConfigure<IConfiguration>((options, config) =>
            {
                options.Url = config["OPENFGA_URL"] is { Length: > 0 } url ? new Uri(url) : options.Url;
                options.StoreId = config["OPENFGA_STORE_ID"] ?? options.StoreId;
                options.AuthorizationModelId = config["OPENFGA_MODEL_ID"] ?? options.AuthorizationModelId;
            })
            .ValidateDataAnnotations().ValidateOnStart();
        var openFga = configuration["OPENFGA_URL"] ?? configuration[$"{OpenFgaOptions.SectionName}:Url"];
        if (string.IsNullOrWhiteSpace(openFga))
        {
            services.TryAddSingleton<IAccessChecker, DatabaseAccessChecker>();
            return services;
        }
        services.AddHttpClient<IAccessChecker, OpenFgaAccessChecker>((sp, client) =>
        {
            var url = sp.GetRequiredService<IOptions<OpenFgaOptions>>().Value.Url!.ToString();
            client.BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/");
        });
        return services;
    }

    /// <summary>The JSON-lines audit log (<c>SomaAgent:Audit:Path</c> or <c>AUDIT_LOG_PATH</c>) and its recorder.</summary>
    public static IServiceCollection AddSomaAgentAudit(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName)
            .PostConfigure<IConfiguration>((options, configuration) => options.Path = configuration["AUDIT_LOG_PATH"] ?? options.Path);
        services.TryAddSingleton<JsonLinesAuditLog>();
        services.TryAddSingleton<IAuditLog>(sp => sp.GetRequiredService<JsonLinesAuditLog>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, JsonLinesAuditLog>(sp => sp.GetRequiredService<JsonLinesAuditLog>()));
        services.TryAddSingleton<AuditRecorder>();
        return services;
    }
}
