using Microsoft.AspNetCore.Http.HttpResults;
using SomaAgent.Security.Access;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Registry.Capsules;

/// <summary>
/// Who may see and change a named capsule, asked of <see cref="IAccessChecker"/>: every tenant reads a public
/// capsule, only its owner a private one; only the owner yanks. Another tenant's private capsule answers exactly
/// like a missing one and is audited as <c>cross_tenant</c>.
/// </summary>
public sealed class CapsuleAccess(IAccessChecker access, CallerAccessor callers, AuditRecorder audit)
{
    /// <summary>Null when the caller may read the capsule, else the 404 to answer.</summary>
    public async Task<ProblemHttpResult?> RefuseReadAsync(HttpContext http, string name)
    {
        ArgumentNullException.ThrowIfNull(http);
        var tenant = callers.Current.TenantId;
        var decision = await access.CheckReadAsync(tenant, Capsule(name), http.RequestAborted);
        return decision == AccessDecision.Allowed ? null : await NotFoundAsync(http, name, decision, tenant);
    }

    /// <summary>Null when the caller owns the capsule; else a 404 (it cannot see it) or a 403 (it can, but is not its owner).</summary>
    public async Task<ProblemHttpResult?> RefuseChangeAsync(HttpContext http, string name)
    {
        ArgumentNullException.ThrowIfNull(http);
        var tenant = callers.Current.TenantId;
        var owner = await access.CheckAsync(tenant, Capsule(name), http.RequestAborted);
        if (owner == AccessDecision.Allowed)
        {
            return null;
        }
        if (owner == AccessDecision.OtherTenant && await access.CheckReadAsync(tenant, Capsule(name), http.RequestAborted) == AccessDecision.Allowed)
        {
            return ProblemWriter.Result(ProblemCatalog.NotCapsuleOwner, $"The capsule '{name}' belongs to another tenant; only its owner yanks and unyanks its versions.");
        }
        return await NotFoundAsync(http, name, owner, tenant);
    }

    public static ProblemHttpResult NotFound(string name, string? version = null) =>
        ProblemWriter.Result(ProblemCatalog.CapsuleNotFound, version is null
            ? $"No capsule '{ProblemWriter.Truncate(name)}' is visible to this tenant."
            : $"No version '{ProblemWriter.Truncate(version)}' of the capsule '{ProblemWriter.Truncate(name)}' is visible to this tenant.");

    private async Task<ProblemHttpResult> NotFoundAsync(HttpContext http, string name, AccessDecision decision, string tenant)
    {
        if (decision == AccessDecision.OtherTenant)
        {
            await audit.RecordAsync(http, AuditEvents.CrossTenant, AuditDecisions.Deny, $"capsule:{name} is another tenant's private capsule; answered 404", tenant);
        }
        return NotFound(name);
    }

    private static ResourceRef Capsule(string name) => new(ResourceTypes.Capsule, name);
}
