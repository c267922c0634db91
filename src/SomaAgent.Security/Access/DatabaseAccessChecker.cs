using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Security.Access;

/// <summary>
/// The embedded checker: the relation is the tenant column every row carries, written in the same
/// transaction as the row, so <see cref="GrantAsync"/> has nothing to add. One indexed read per check.
/// </summary>
public sealed class DatabaseAccessChecker(IDbContextFactory<SessionDbContext> dbFactory) : IAccessChecker
{
    public async Task<AccessDecision> CheckAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        if (!Guid.TryParse(resource.Id, out var id))
        {
            return AccessDecision.NotFound;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var owner = resource.Type switch
        {
            ResourceTypes.Session => await db.Sessions.Where(s => s.Id == id).Select(s => s.TenantId).FirstOrDefaultAsync(cancellationToken),
            ResourceTypes.ApiKey => await db.ApiKeys.Where(k => k.Id == id).Select(k => k.TenantId).FirstOrDefaultAsync(cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(resource), resource.Type, "No table holds this resource type yet."),
        };
        return owner is null ? AccessDecision.NotFound
            : string.Equals(owner, tenantId, StringComparison.Ordinal) ? AccessDecision.Allowed
            : AccessDecision.OtherTenant;
    }

    public Task GrantAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken) => Task.CompletedTask;
}
