using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;

namespace SomaAgent.Security.Access;

/// <summary>
/// Puts a route's resource behind <see cref="IAccessChecker"/>: before the handler runs, the caller's tenant
/// must own the resource its <c>{id}</c> names. Another tenant's resource answers exactly like a missing one
/// (no existence leak) and is audited as <c>cross_tenant</c>.
/// </summary>
public static class ResourceAccess
{
    public static RouteHandlerBuilder RequiresAccess(this RouteHandlerBuilder route, string resourceType, Func<Guid, IResult> notFound)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(notFound);
        return route
            .AddEndpointFilterFactory((factory, next) =>
            {
                var services = factory.ApplicationServices;
                var checker = services.GetRequiredService<IAccessChecker>();
                var callers = services.GetRequiredService<CallerAccessor>();
                var audit = services.GetRequiredService<AuditRecorder>();
                return async context =>
                {
                    var http = context.HttpContext;
                    // A malformed id is the handler's to refuse (400), naming what a valid one looks like.
                    if (http.Request.RouteValues["id"] is not string raw || !Guid.TryParse(raw, out var id))
                    {
                        return await next(context);
                    }
                    var tenant = callers.Current.TenantId;
                    var resource = new ResourceRef(resourceType, id.ToString());
                    // A checker that cannot answer throws; the host's exception handler answers 503.
                    var decision = await checker.CheckAsync(tenant, resource, http.RequestAborted);
                    if (decision == AccessDecision.OtherTenant)
                    {
                        await audit.RecordAsync(http, AuditEvents.CrossTenant, AuditDecisions.Deny,
                            $"{resource} belongs to another tenant; answered 404", tenant);
                    }
                    return decision == AccessDecision.Allowed ? await next(context) : notFound(id);
                };
            })
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
    }
}
