using Microsoft.Extensions.Options;
using SomaAgent.Gateway.Configuration;

namespace SomaAgent.Gateway.Tenancy;

/// <summary>Who a request acts as: the tenant whose data it may touch and the principal recorded on rows.</summary>
public sealed record Caller(string TenantId, string Subject)
{
    /// <summary>The principal recorded while authentication is off.</summary>
    public const string AnonymousSubject = "anonymous";
}

/// <summary>
/// Resolves the caller of the current request. Until authentication lands every request is the anonymous
/// principal of the default tenant; the security issue replaces this with the authenticated principal.
/// </summary>
public sealed class CallerAccessor(IOptions<GatewayOptions> options)
{
    public Caller Current { get; } = new(options.Value.DefaultTenant, Caller.AnonymousSubject);
}
