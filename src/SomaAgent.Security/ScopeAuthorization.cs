using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Keys;
using SomaAgent.Security.Problems;

namespace SomaAgent.Security;

/// <summary>The caller's credential must carry <see cref="Scope"/> (or a scope that includes it).</summary>
public sealed class ScopeRequirement(string scope) : IAuthorizationRequirement
{
    public string Scope { get; } = scope;
}

internal sealed class ScopeAuthorizationHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        var held = context.User.FindAll(SomaAgentClaims.Scope).Select(c => c.Value);
        if (ApiKeyScopes.Satisfies(held, requirement.Scope))
        {
            context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }
}

/// <summary>The policies routes name: one per scope, plus the default (any valid credential).</summary>
public static class SomaAgentPolicies
{
    /// <summary>
    /// With <paramref name="requireAuth"/> off every policy allows everything: the operator chose a trusted
    /// network, and the routes keep working for the anonymous caller.
    /// </summary>
    public static void Configure(AuthorizationOptions options, bool requireAuth)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.DefaultPolicy = requireAuth
            ? new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().Build()
            : new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build();
        foreach (var scope in ApiKeyScopes.All)
        {
            options.AddPolicy(scope, requireAuth
                ? new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName).RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(scope)).Build()
                : new AuthorizationPolicyBuilder().RequireAssertion(_ => true).Build());
        }
    }
}

/// <summary>
/// Turns a refusal into a problem that says what is missing (the scope, or the tenant), and enforces
/// <c>X-Tenant-Id</c>: a credential of one tenant may omit it, but when sent it must name that tenant;
/// only a platform admin may name another.
/// </summary>
internal sealed class ProblemAuthorizationResultHandler(AuditRecorder audit) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden)
        {
            var missing = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<ScopeRequirement>().Select(r => r.Scope).FirstOrDefault();
            var detail = missing is null
                ? "The credential may not use this route."
                : $"This route needs the scope '{missing}', which the credential does not carry.";
            await audit.RecordAsync(context, AuditEvents.ScopeDenied, AuditDecisions.Deny, detail);
            await ProblemWriter.WriteAsync(context, ProblemCatalog.InsufficientScope, detail);
            return;
        }
        if (authorizeResult.Succeeded && context.User.Identity?.IsAuthenticated == true
            && context.Request.Headers[CallerAccessor.TenantHeader] is { Count: > 0 } header)
        {
            var tenant = context.User.FindFirst(SomaAgentClaims.Tenant)?.Value;
            var admin = context.User.HasClaim(SomaAgentClaims.Scope, ApiKeyScopes.PlatformAdmin);
            if (header.Count > 1 || (!admin && !string.Equals(header[0], tenant, StringComparison.Ordinal)))
            {
                var detail = $"The X-Tenant-Id header names another tenant than the credential's ('{tenant}'); omit it or send '{tenant}'.";
                await audit.RecordAsync(context, AuditEvents.TenantMismatch, AuditDecisions.Deny, detail);
                await ProblemWriter.WriteAsync(context, ProblemCatalog.TenantMismatch, detail);
                return;
            }
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
