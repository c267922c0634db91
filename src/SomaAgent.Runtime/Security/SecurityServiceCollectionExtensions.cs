using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using SomaAgent.Runtime.Security;
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
