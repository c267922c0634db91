namespace SomaAgent.Security.Audit;

/// <summary>
/// One line of the audit log. Never carries a secret: <see cref="Subject"/> is a key id or a token's subject.
/// </summary>
public sealed record AuditEntry(
    DateTimeOffset Timestamp,
    string Event,
    string? Tenant,
    string? Subject,
    string? Method,
    string? Route,
    string Decision,
    string Reason,
    string? TraceId,
    string? ClientAddress);

/// <summary>The events the audit log records. Names are stable: operators alert on them.</summary>
public static class AuditEvents
{
    /// <summary>A request without a valid credential (401).</summary>
    public const string AuthenticationFailed = "authentication_failed";

    /// <summary>A credential without the scope a route needs (403).</summary>
    public const string ScopeDenied = "scope_denied";

    /// <summary>An <c>X-Tenant-Id</c> naming another tenant than the credential's (403).</summary>
    public const string TenantMismatch = "tenant_mismatch";

    /// <summary>A request for another tenant's resource (answered 404, recorded as what it was).</summary>
    public const string CrossTenant = "cross_tenant";

    /// <summary>The policy engine said no (403).</summary>
    public const string PolicyDenied = "policy_denied";

    /// <summary>The policy engine could not answer and <c>POLICY_FAIL_OPEN</c> let the request through.</summary>
    public const string PolicyFailOpen = "policy_fail_open";

    /// <summary>The policy engine could not answer and the request was refused (503).</summary>
    public const string PolicyUnavailable = "policy_unavailable";

    /// <summary>A rate limit or quota refused the request (429).</summary>
    public const string RateLimited = "rate_limited";

    public const string KeyCreated = "key_created";
    public const string KeyRevoked = "key_revoked";
    public const string TenantCreated = "tenant_created";

    /// <summary>A capsule version published (allow), or refused for its package or signature (deny).</summary>
    public const string CapsulePublished = "capsule_published";
    public const string CapsuleYanked = "capsule_yanked";
    public const string CapsuleUnyanked = "capsule_unyanked";
    public const string SigningKeyAdded = "signing_key_added";
    public const string SigningKeyRevoked = "signing_key_revoked";

    /// <summary>A capsule version installed for a tenant (allow), or refused: yanked, or its signature no longer verifies (deny).</summary>
    public const string CapsuleInstalled = "capsule_installed";
    public const string CapsuleUninstalled = "capsule_uninstalled";
}

/// <summary>The outcome recorded with each entry.</summary>
public static class AuditDecisions
{
    public const string Allow = "allow";
    public const string Deny = "deny";
}
