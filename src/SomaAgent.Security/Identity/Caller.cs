using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace SomaAgent.Security.Identity;

/// <summary>How every authenticating service resolves callers; set by <c>AddSomaAgentAuthentication</c>.</summary>
public sealed class CallerOptions
{
    /// <summary>Whether a credential is required (<c>GATEWAY_REQUIRE_AUTH</c>); off, callers are anonymous with every scope.</summary>
    public bool RequireAuth { get; set; } = true;

    /// <summary>The tenant of the anonymous principal and of a platform admin sending no <c>X-Tenant-Id</c> (<c>SomaAgent:Gateway:DefaultTenant</c>).</summary>
    public string DefaultTenant { get; set; } = "default";
}

/// <summary>Who a request acts as: the tenant whose data it may touch and the principal recorded on rows.</summary>
public sealed record Caller(string TenantId, string Subject)
{
    /// <summary>The principal recorded while authentication is off.</summary>
    public const string AnonymousSubject = "anonymous";
}

/// <summary>
/// Resolves the caller of the current request from its credential: the key's tenant and id. A platform
/// admin acts for the tenant its <c>X-Tenant-Id</c> names (the authorization step has already refused any
/// other credential naming a tenant not its own). Without a credential (authentication off) it is the
/// anonymous principal of the default tenant.
/// </summary>
public sealed class CallerAccessor(IOptions<CallerOptions> options, IHttpContextAccessor http)
{
    public Caller Current
    {
        get
        {
            var user = http.HttpContext?.User;
            if (user?.Identity?.IsAuthenticated != true || user.FindFirst(SomaAgentClaims.Tenant)?.Value is not { } tenant)
            {
                return new(options.Value.DefaultTenant, Caller.AnonymousSubject);
            }
            if (user.HasClaim(SomaAgentClaims.Scope, ApiKeyScopes.PlatformAdmin)
                && http.HttpContext!.Request.Headers[TenantHeader] is { Count: 1 } header && !string.IsNullOrEmpty(header[0]))
            {
                tenant = header[0]!;
            }
            return new(tenant, user.FindFirst(SomaAgentClaims.Subject)?.Value ?? Caller.AnonymousSubject);
        }
    }

    /// <summary>The header naming the tenant a request acts for.</summary>
    public const string TenantHeader = "X-Tenant-Id";

    /// <summary>Whether the caller holds <paramref name="scope"/> (always true while authentication is off).</summary>
    public bool Holds(string scope) =>
        !options.Value.RequireAuth
        || ApiKeyScopes.Satisfies(http.HttpContext?.User.FindAll(SomaAgentClaims.Scope).Select(c => c.Value) ?? [], scope);
}
