using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SomaAgent.Security;
using SomaAgent.Security.Access;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Hardening;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Jwt;
using SomaAgent.Security.Keys;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>One authentication for every SomaAgent service: API keys from the shared store, scopes as policies.</summary>
public static class SecurityServiceCollectionExtensions
{
    /// <summary>
    /// Registers the key store, the <c>ApiKey</c> scheme (the default), scope policies and problem answers.
    /// The store itself comes with <c>AddSomaAgentStore</c>.
    /// </summary>
    public static IServiceCollection AddSomaAgentAuthentication(this IServiceCollection services, Func<IServiceProvider, bool> requireAuth)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(requireAuth);
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        services.AddOptions<CallerOptions>().Configure<IServiceProvider, IConfiguration>((callers, sp, configuration) =>
        {
            callers.RequireAuth = requireAuth(sp);
            callers.DefaultTenant = SecuritySettings.DefaultTenant(configuration);
        });
        services.TryAddSingleton<CallerAccessor>();
        services.TryAddSingleton<UnauthenticatedRequestLimiter>();
        services.TryAddSingleton<ApiKeyStore>();
        if (!services.Any(d => d.ServiceType == typeof(ApiKeyVerificationCache)))
        {
            services.AddSingleton<ApiKeyVerificationCache>();
            services.AddHostedService<ApiKeyRevocationWatcher>();
        }
        services.AddOptions<InternalAuthOptions>().BindConfiguration(InternalAuthOptions.SectionName)
            .PostConfigure<IConfiguration>((options, configuration) => options.Secret = configuration["SOMAAGENT_INTERNAL_SECRET"] is { Length: > 0 } secret ? secret : options.Secret)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<ForwardedCaller>();
        services.AddSomaAgentJwt();
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
    /// Bearer tokens (JWT) for the one handler: <see cref="JwtOptions"/> (<c>SomaAgent:Jwt</c> plus the flat
    /// <c>GATEWAY_JWT_SECRET</c>, <c>VAULT_ADDR</c>, <c>VAULT_TOKEN</c>, <c>OIDC_AUTHORITY</c>, <c>OIDC_AUDIENCE</c>),
    /// the validator, the shared-secret source (Vault KV v2 when <c>GATEWAY_JWT_SECRET</c> names a path, else
    /// <c>SomaAgent:Jwt:Secret</c>) and the start-up step that loads it.
    /// </summary>
    public static IServiceCollection AddSomaAgentJwt(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.SectionName)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                options.SecretPath = Flat(configuration, "GATEWAY_JWT_SECRET") ?? options.SecretPath;
                options.VaultAddress = Flat(configuration, "VAULT_ADDR") ?? options.VaultAddress;
                options.VaultToken = Flat(configuration, "VAULT_TOKEN") ?? options.VaultToken;
                options.Authority = Flat(configuration, "OIDC_AUTHORITY") ?? options.Authority;
                options.OidcAudience = Flat(configuration, "OIDC_AUDIENCE") ?? options.OidcAudience;
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>());
        // Discovery and JWKS requests run inside a request's authentication: no retries with back-off there (the
        // services' defaults add them to every client). The configuration manager keeps the last good keys and asks
        // again on a later token, so fail fast instead.
        services.AddHttpClient(JwtTokenValidator.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10)).WithSingleAttempt();
        services.AddHttpClient<VaultKvClient>();
        services.TryAddSingleton<JwtTokenValidator>();
        services.TryAddSingleton<IJwtSecretSource>(sp =>
            string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<JwtOptions>>().Value.SecretPath)
                ? ActivatorUtilities.CreateInstance<ConfigurationJwtSecretSource>(sp)
                : ActivatorUtilities.CreateInstance<VaultJwtSecretSource>(sp));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, JwtSecretLoader>());
        return services;
    }

    private static string? Flat(IConfiguration configuration, string name) =>
        configuration[name] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>
    /// The resource access checker: OpenFGA when <c>OPENFGA_URL</c> (or <c>SomaAgent:OpenFga:Url</c>) is set,
    /// otherwise the tenant columns of the session store.
    /// </summary>
    public static IServiceCollection AddSomaAgentAccessChecks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(IAccessChecker)))
        {
            return services;
        }
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
        }).WithSingleAttempt();
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
