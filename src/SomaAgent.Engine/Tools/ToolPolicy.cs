using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Policy;

namespace SomaAgent.Engine.Tools;

/// <summary>
/// Asks the policy before a tool call runs. A denial, or an engine that cannot answer while
/// <c>POLICY_FAIL_OPEN</c> is off, becomes the message of the call's error result, so the model reads why and
/// the turn goes on; each is recorded in the audit log (route <c>tool:&lt;name&gt;</c>).
/// </summary>
public sealed partial class ToolPolicy(
    IPolicyDecider policy, IOptions<PolicyOptions> options, IAuditLog audit, TimeProvider time, ILogger<ToolPolicy> logger)
{
    /// <summary>Null when the call may run; otherwise the error message for the model.</summary>
    public async Task<string?> RefusalAsync(ToolCallRequested request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decision = await policy.DecideAsync(new PolicyInput
        {
            Kind = PolicyKinds.Tool,
            Tenant = request.TenantId,
            Tool = request.ToolName,
            Model = request.Model,
            Capsule = request.Capsule,
            Session = request.SessionId.ToString(),
        }, cancellationToken);

        switch (decision.Outcome)
        {
            case PolicyOutcome.Allow:
                return null;
            case PolicyOutcome.Deny:
                LogDenied(request.ToolName, request.CallId, request.TenantId, decision.Reason);
                await RecordAsync(request, AuditEvents.PolicyDenied, AuditDecisions.Deny, decision.Reason);
                return $"Denied by policy: {decision.Reason}";
            case PolicyOutcome.Unavailable when options.Value.FailOpen:
                await RecordAsync(request, AuditEvents.PolicyFailOpen, AuditDecisions.Allow, decision.Reason);
                return null;
            default:
                await RecordAsync(request, AuditEvents.PolicyUnavailable, AuditDecisions.Deny, decision.Reason);
                return $"The policy engine could not decide whether this tool may run ({decision.Reason}), so it was not called.";
        }
    }

    private ValueTask RecordAsync(ToolCallRequested request, string auditEvent, string decision, string reason) =>
        audit.WriteAsync(new AuditEntry(
            time.GetUtcNow(), auditEvent, request.TenantId, Subject: null, Method: null, Route: $"tool:{request.ToolName}",
            decision, reason, Activity.Current?.TraceId.ToString(), ClientAddress: null), CancellationToken.None);

    [LoggerMessage(EventId = 1220, Level = LogLevel.Information,
        Message = "Tool {ToolName} call {CallId} of tenant {Tenant} denied by policy: {Reason}")]
    private partial void LogDenied(string toolName, string callId, string tenant, string reason);
}
