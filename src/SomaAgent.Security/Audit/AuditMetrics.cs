using System.Diagnostics.Metrics;

namespace SomaAgent.Security.Audit;

/// <summary>
/// The audit log's refusals as counters, so dashboards and alerts see them without reading the log:
/// <c>somaagent_auth_failures_total</c>, <c>somaagent_access_denials_total</c> (by event: the policy, a missing scope,
/// another tenant's header or resource, the policy engine unavailable) and <c>somaagent_rate_limit_rejections_total</c>.
/// </summary>
/// <remarks>One set of instruments per process, like <c>RuntimeDiagnostics</c> (see <c>GatewayLatency</c> for why).</remarks>
public static class AuditMetrics
{
    public const string MeterName = "SomaAgent.Security";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> AuthFailures = Meter.CreateCounter<long>("somaagent.auth.failures",
        description: "Requests refused for want of a valid credential (401).");

    private static readonly Counter<long> Denials = Meter.CreateCounter<long>("somaagent.access.denials",
        description: "Requests and tool calls refused after authentication, by audit event: policy_denied, policy_unavailable, scope_denied, tenant_mismatch, cross_tenant.");

    private static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("somaagent.rate_limit.rejections",
        description: "Requests refused by a rate limit or the concurrent-sessions quota (429).");

    public static void Count(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Decision != AuditDecisions.Deny)
        {
            return;
        }
        switch (entry.Event)
        {
            case AuditEvents.AuthenticationFailed:
                AuthFailures.Add(1);
                break;
            case AuditEvents.RateLimited:
                RateLimited.Add(1);
                break;
            case AuditEvents.PolicyDenied or AuditEvents.PolicyUnavailable or AuditEvents.ScopeDenied or AuditEvents.TenantMismatch or AuditEvents.CrossTenant:
                Denials.Add(1, new KeyValuePair<string, object?>("event", entry.Event));
                break;
        }
    }
}
