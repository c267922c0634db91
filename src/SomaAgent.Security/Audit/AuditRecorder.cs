using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SomaAgent.Security.Identity;

namespace SomaAgent.Security.Audit;

/// <summary>Builds audit entries from the request being decided on, so every caller records the same fields.</summary>
public sealed class AuditRecorder(IAuditLog log, TimeProvider time)
{
    public ValueTask RecordAsync(HttpContext http, string auditEvent, string decision, string reason, string? tenant = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        var user = http.User;
        var authenticated = user.Identity?.IsAuthenticated == true;
        var entry = new AuditEntry(
            time.GetUtcNow(),
            auditEvent,
            tenant ?? (authenticated ? user.FindFirst(SomaAgentClaims.Tenant)?.Value : null),
            authenticated ? user.FindFirst(SomaAgentClaims.Subject)?.Value : null,
            http.Request.Method,
            RouteOf(http),
            decision,
            reason,
            Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier,
            http.Connection.RemoteIpAddress?.ToString());
        return log.WriteAsync(entry, CancellationToken.None);
    }

    /// <summary>The route template (<c>/v1/sessions/{id}</c>) when one matched, else the path.</summary>
    public static string RouteOf(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return TemplateOf(http) ?? http.Request.Path.Value ?? "/";
    }

    /// <summary>
    /// The route template when one matched, else <c>unmatched</c>: a label for metrics, where raw paths (ids, probes
    /// of random URLs) would make a series per request.
    /// </summary>
    public static string RouteTemplateOf(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return TemplateOf(http) ?? "unmatched";
    }

    private static string? TemplateOf(HttpContext http) =>
        http.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern } ? "/" + pattern.TrimStart('/') : null;
}
