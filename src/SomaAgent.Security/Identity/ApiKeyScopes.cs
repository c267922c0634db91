namespace SomaAgent.Security.Identity;

/// <summary>
/// The scopes an API key can carry. A scope is never renamed or reused. <see cref="PlatformAdmin"/> satisfies
/// every scope; <see cref="TenantAdmin"/> satisfies every scope of its own tenant.
/// </summary>
public static class ApiKeyScopes
{
    /// <summary>Create and list tenants and their first keys. Held by the bootstrap key only.</summary>
    public const string PlatformAdmin = "platform:admin";

    /// <summary>Manage the tenant's keys, plus everything below.</summary>
    public const string TenantAdmin = "tenant:admin";

    /// <summary>Read sessions and their events.</summary>
    public const string SessionsRead = "sessions:read";

    /// <summary>Open sessions, send messages, cancel turns, chat completions.</summary>
    public const string SessionsWrite = "sessions:write";

    /// <summary>List models and tools.</summary>
    public const string ModelsRead = "models:read";

    /// <summary>Search the capsule marketplace, read capsules and download their packages.</summary>
    public const string CapsulesRead = "capsules:read";

    /// <summary>Publish, yank and unyank the tenant's capsules, and manage its signing keys.</summary>
    public const string CapsulesPublish = "capsules:publish";

    /// <summary>Install capsule versions for the tenant and remove them.</summary>
    public const string CapsulesInstall = "capsules:install";

    /// <summary>Every scope, in the order documentation lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [PlatformAdmin, TenantAdmin, SessionsRead, SessionsWrite, ModelsRead, CapsulesRead, CapsulesPublish, CapsulesInstall];

    /// <summary>What a tenant's own admin may grant: everything but <see cref="PlatformAdmin"/>.</summary>
    public static IReadOnlyList<string> TenantGrantable { get; } = [TenantAdmin, SessionsRead, SessionsWrite, ModelsRead, CapsulesRead, CapsulesPublish, CapsulesInstall];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);

    /// <summary>Whether a holder of <paramref name="held"/> may do what <paramref name="required"/> guards.</summary>
    public static bool Satisfies(IEnumerable<string> held, string required)
    {
        ArgumentNullException.ThrowIfNull(held);
        foreach (var scope in held)
        {
            if (scope == required || scope == PlatformAdmin || (scope == TenantAdmin && required != PlatformAdmin))
            {
                return true;
            }
        }
        return false;
    }

    public static string Join(IEnumerable<string> scopes) => string.Join(' ', scopes.Distinct(StringComparer.Ordinal));

    public static string[] Split(string scopes) =>
        (scopes ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
