using SomaAgent.Registry.Artifacts;
using SomaAgent.Registry.Capsules;
using SomaAgent.Registry.Configuration;
using SomaAgent.Registry.Installations;
using SomaAgent.Registry.Signing;
using SomaAgent.Security.Access;

namespace SomaAgent.Registry.Extensions;

/// <summary>The registry's own services and routes.</summary>
public static class RegistryExtensions
{
    /// <summary>Capsules, signing keys and installations over the registry's tables and the artifact store, and the janitor.</summary>
    public static IHostApplicationBuilder AddRegistryServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<RegistryOptions>().BindConfiguration(RegistryOptions.SectionName)
            .PostConfigure<IConfiguration>((options, configuration) =>
                options.MaxCapsuleBytes = configuration.GetValue("REGISTRY_MAX_CAPSULE_BYTES", options.MaxCapsuleBytes))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<BlobIndex>();
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<CapsuleCatalog>();
        services.AddSingleton<CapsulePublisher>();
        services.AddSingleton<CapsuleAccess>();
        services.AddSingleton<InstallationStore>();
        services.AddSingleton<IResourceOwners, CapsuleOwners>();
        services.AddSingleton<IResourceOwners, InstallationOwners>();
        services.AddHostedService<BlobJanitor>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRegistryApi(this IEndpointRouteBuilder app)
    {
        app.MapCapsulesApi();
        app.MapSigningKeysApi();
        app.MapInstallationsApi();
        return app;
    }
}
