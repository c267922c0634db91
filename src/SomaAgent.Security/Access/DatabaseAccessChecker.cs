using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Security.Access;

/// <summary>
/// The embedded checker: the relation is the tenant column every row carries, written in the same
/// transaction as the row, so <see cref="GrantAsync"/> has nothing to add. One indexed read per check. Sessions
/// and keys are read from the session store; other types from the <see cref="IResourceOwners"/> of the service
/// that keeps them.
/// </summary>
public sealed class DatabaseAccessChecker(IDbContextFactory<SessionDbContext> dbFactory, IEnumerable<IResourceOwners> otherOwners) : IAccessChecker
{
    private readonly Dictionary<string, IResourceOwners> _owners = otherOwners.ToDictionary(o => o.ResourceType, StringComparer.Ordinal);

    public async Task<AccessDecision> CheckAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return Decide(tenantId, await FindAsync(resource, cancellationToken), publicReads: false);
    }

    public async Task<AccessDecision> CheckReadAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        return Decide(tenantId, await FindAsync(resource, cancellationToken), publicReads: true);
    }

    public Task GrantAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Visibility is a column of the resource's own row, written with it.</summary>
    public Task SetPublicAsync(ResourceRef resource, bool isPublic, CancellationToken cancellationToken) => Task.CompletedTask;

    private static AccessDecision Decide(string tenantId, ResourceOwner? owner, bool publicReads) =>
        owner is null ? AccessDecision.NotFound
        : string.Equals(owner.TenantId, tenantId, StringComparison.Ordinal) || (publicReads && owner.IsPublic) ? AccessDecision.Allowed
        : AccessDecision.OtherTenant;

    private async Task<ResourceOwner?> FindAsync(ResourceRef resource, CancellationToken cancellationToken)
    {
        if (_owners.TryGetValue(resource.Type, out var owners))
        {
            return await owners.FindAsync(resource.Id, cancellationToken);
        }
        if (!Guid.TryParse(resource.Id, out var id))
        {
            return null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var tenant = resource.Type switch
        {
            ResourceTypes.Session => await db.Sessions.Where(s => s.Id == id).Select(s => s.TenantId).FirstOrDefaultAsync(cancellationToken),
            ResourceTypes.ApiKey => await db.ApiKeys.Where(k => k.Id == id).Select(k => k.TenantId).FirstOrDefaultAsync(cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(resource), resource.Type, "No table this service knows holds this resource type."),
        };
        return tenant is null ? null : new ResourceOwner(tenant);
    }
}
