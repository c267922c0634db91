using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Security.Policy;


/// <summary>
/// The policy step of every authenticating service: after authentication and authorization, every endpoint marked with
/// <see cref="RequirePolicy{TBuilder}"/> is decided by the policy (OPA or the built-in rules) before its handler
/// runs. Health, OpenAPI and Scalar are not marked.
/// </summary>
public static class PolicyStep
{
    /// <summary>Marks the endpoints the policy decides on.</summary>
    public static TBuilder RequirePolicy<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(PolicyRequired.Instance);
    }

    /// <summary>Adds the policy step; place it after <c>UseAuthorization</c>.</summary>
    public static IApplicationBuilder UsePolicy(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<PolicyMiddleware>();
    }
}

/// <summary>Endpoint metadata: the policy decides on this endpoint.</summary>
public sealed class PolicyRequired
{
    public static PolicyRequired Instance { get; } = new();

    private PolicyRequired()
    {
    }
}

/// <summary>
/// Builds the policy input from the request (caller, tenant, scopes, method, route template, resource id) and
/// applies the decision: deny is 403 with the policy's reason; an engine that cannot answer is 503, or lets the
/// request through when <c>POLICY_FAIL_OPEN</c> is on. Every refusal and every fail-open pass is audited.
/// </summary>
internal sealed class PolicyMiddleware(
    RequestDelegate next,
    IPolicyDecider policy,
    IOptions<PolicyOptions> options,
    IOptions<CallerOptions> callerOptions,
    CallerAccessor callers,
    AuditRecorder audit)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<PolicyRequired>() is null)
        {
            await next(context);
            return;
        }

        var input = InputOf(context);
        var decision = await policy.DecideAsync(input, context.RequestAborted);
        switch (decision.Outcome)
        {
            case PolicyOutcome.Allow:
                break;
            case PolicyOutcome.Deny:
                await audit.RecordAsync(context, AuditEvents.PolicyDenied, AuditDecisions.Deny, decision.Reason, input.Tenant);
                await ProblemWriter.WriteAsync(context, ProblemCatalog.DeniedByPolicy, decision.Reason);
                return;
            case PolicyOutcome.Unavailable when options.Value.FailOpen:
                await audit.RecordAsync(context, AuditEvents.PolicyFailOpen, AuditDecisions.Allow, decision.Reason, input.Tenant);
                break;
            default:
                await audit.RecordAsync(context, AuditEvents.PolicyUnavailable, AuditDecisions.Deny, decision.Reason, input.Tenant);
                await ProblemWriter.WriteAsync(context, ProblemCatalog.PolicyUnavailable,
                    $"The request was refused because the policy engine gave no decision ({decision.Reason}) and POLICY_FAIL_OPEN is off. Try again shortly.");
                return;
        }
        await next(context);
    }

    private PolicyInput InputOf(HttpContext context)
    {
        var caller = callers.Current;
        var user = context.User;
        IReadOnlyList<string> scopes = user.Identity?.IsAuthenticated == true
            ? [.. user.FindAll(SomaAgentClaims.Scope).Select(c => c.Value)]
            : callerOptions.Value.RequireAuth ? [] : ApiKeyScopes.All;
        return new PolicyInput
        {
            Kind = PolicyKinds.Request,
            Subject = caller.Subject,
            Tenant = caller.TenantId,
            Scopes = scopes,
            Method = context.Request.Method.ToUpperInvariant(),
            Route = AuditRecorder.RouteOf(context),
            Resource = ResourceOf(context),
        };
    }

    /// <summary>The value of the route's last parameter (<c>{id}</c> in <c>/v1/sessions/{id}/events</c>), if any.</summary>
    private static string? ResourceOf(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern.Parameters: { Count: > 0 } parameters }
        && context.Request.RouteValues.TryGetValue(parameters[^1].Name, out var value)
            ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)
            : null;
}
