using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>
/// Enforces the concurrent-sessions quota on a route that may start a turn: takes the request's
/// <see cref="SessionSlot"/> before the handler runs (429 with <c>Retry-After</c>, audited, when the tenant is at its
/// quota) and gives it back unless the handler started a turn. The slot is freed when the turn ends
/// (<see cref="SessionQuota.OnEventsAsync"/>).
/// </summary>
public sealed class SessionQuotaFilter(SessionQuota quota, CallerAccessor caller, AuditRecorder audit) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var slot = context.Arguments.OfType<SessionSlot>().Single();
        if (slot.SessionId == Guid.Empty)
        {
            return await next(context);
        }
        var tenant = caller.Current.TenantId;
        var taken = await quota.TryTakeAsync(tenant, slot.SessionId, context.HttpContext.RequestAborted);
        if (taken is null)
        {
            var http = context.HttpContext;
            var limit = quota.LimitOf(tenant);
            await audit.RecordAsync(http, AuditEvents.RateLimited, AuditDecisions.Deny, $"tenant at its quota of {limit} concurrent sessions", tenant);
            RateLimitProblems.SetRetryAfter(http.Response, RateLimitProblems.SessionRetryAfterSeconds);
            await ProblemWriter.WriteAsync(http, ProblemCatalog.RateLimited, RateLimitProblems.SessionsDetail(limit));
            return Results.Empty;
        }
        try
        {
            var result = await next(context);
            if (!slot.TurnStarted && taken.Value)
            {
                await quota.GiveBackAsync(tenant, slot.SessionId);
            }
            return result;
        }
        catch when (taken.Value)
        {
            await quota.GiveBackAsync(tenant, slot.SessionId);
            throw;
        }
    }
}

/// <summary>Puts a route under the concurrent-sessions quota.</summary>
public static class SessionQuotaFilterExtensions
{
    /// <summary>The route's handler takes a <see cref="SessionSlot"/> and sets <see cref="SessionSlot.TurnStarted"/>.</summary>
    public static RouteHandlerBuilder RequireSessionSlot(this RouteHandlerBuilder builder) => builder.AddEndpointFilter<SessionQuotaFilter>();
}
