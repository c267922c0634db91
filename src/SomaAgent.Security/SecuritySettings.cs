using Microsoft.Extensions.Configuration;

namespace SomaAgent.Security;

/// <summary>Settings every authenticating service reads the same way.</summary>
public static class SecuritySettings
{
    /// <summary>
    /// <c>GATEWAY_REQUIRE_AUTH</c> (or <c>SomaAgent:Gateway:RequireAuth</c>), default true: one switch for the
    /// whole platform, so no service is left open while the gateway is closed.
    /// </summary>
    public static bool RequireAuth(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetValue("GATEWAY_REQUIRE_AUTH", configuration.GetValue("SomaAgent:Gateway:RequireAuth", true));
    }

    /// <summary><c>SomaAgent:Gateway:DefaultTenant</c>, default <c>default</c>: the bootstrap key's tenant, the same for every service.</summary>
    public static string DefaultTenant(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration["SomaAgent:Gateway:DefaultTenant"] is { Length: > 0 } tenant ? tenant : "default";
    }
}
