using System.Globalization;
using Microsoft.Extensions.Options;
using SomaAgent.Security;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>
/// Counts every <c>/v1</c> request against its API key's and its tenant's requests per minute, after
/// authentication so each counts against its own caller. Probes, <c>/v1/health</c>, metrics and the API
/// documents are never limited. A refused request gets 429 problem+json with <c>Retry-After</c>, is recorded
/// in the audit log, and counts nothing; a counted one gets <c>RateLimit-Limit</c> and <c>RateLimit-Remaining</c>.
/// </summary>
internal sealed class RequestRateLimitMiddleware(
    RequestDelegate next,
    IRateLimitStore store,
    IOptionsMonitor<RateLimitOptions> options,
    CallerAccessor callers,
    AuditRecorder audit)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!IsLimited(http.Request.Path))
        {
            await next(http);
            return;
        }
        var caller = callers.Current;
        var limits = options.CurrentValue.For(caller.TenantId);
        var decision = await store.TryCountRequestAsync(caller.TenantId, caller.Subject, limits.KeyRequestsPerMinute, limits.TenantRequestsPerMinute, http.RequestAborted);
        if (decision.Allowed)
        {
            http.Response.Headers["RateLimit-Limit"] = Math.Min(limits.KeyRequestsPerMinute, limits.TenantRequestsPerMinute).ToString(CultureInfo.InvariantCulture);
            http.Response.Headers["RateLimit-Remaining"] = Math.Max(0, decision.Remaining).ToString(CultureInfo.InvariantCulture);
            await next(http);
            return;
        }

        var limit = decision.RefusedBy == RateLimitScope.Key ? limits.KeyRequestsPerMinute : limits.TenantRequestsPerMinute;
        var retryAfter = RateLimitProblems.RetryAfterSeconds(decision.RetryAfter);
        var detail = RateLimitProblems.RequestDetail(decision.RefusedBy, limit, retryAfter);
        await audit.RecordAsync(http, AuditEvents.RateLimited, AuditDecisions.Deny,
            $"{(decision.RefusedBy == RateLimitScope.Key ? "key" : "tenant")} over {limit} requests per minute", caller.TenantId);
        RateLimitProblems.SetRetryAfter(http.Response, retryAfter);
        await ProblemWriter.WriteAsync(http, ProblemCatalog.RateLimited, detail);
    }

    /// <summary>Every <c>/v1</c> route except <c>/v1/health</c>; nothing outside <c>/v1</c> (probes, metrics, docs).</summary>
    public static bool IsLimited(PathString path) =>
        path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase) && !path.StartsWithSegments("/v1/health", StringComparison.OrdinalIgnoreCase);
}
