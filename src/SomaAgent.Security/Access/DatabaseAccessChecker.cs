using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Security.Access;

/// <summary>
/// The embedded checker: the relation is the tenant column every row carries, written in the same
/// transaction as the row. Sessions and keys are read from the session store (one indexed read); other types
/// from the <see cref="IResourceOwners"/> of the service that keeps them. A session's or key's tenant never
/// changes, so once known (read, or granted when this replica created it) it is remembered: a session's
/// requests after the first cost no access read. Only owners are remembered, never "not found", and every
/// route still reads its row by id and tenant, so a remembered owner of a row deleted since still answers 404.
/// </summary>
public sealed class DatabaseAccessChecker(IDbContextFactory<SessionDbContext> dbFactory, IEnumerable<IResourceOwners> otherOwners) : IAccessChecker
{
    public const int MaxRememberedOwners = 100_000;

    private readonly Dictionary<string, IResourceOwners> _owners = otherOwners.ToDictionary(o => o.ResourceType, StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Type, Guid Id), string> _knownTenants = new();

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

    /// <summary>The tenant column says it already; this replica remembers it, so the new resource's first check reads nothing.</summary>
    public Task GrantAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken)
    {
        if (resource.Type is ResourceTypes.Session or ResourceTypes.ApiKey && Guid.TryParse(resource.Id, out var id))
        {
            Remember(resource.Type, id, tenantId);
        }
        return Task.CompletedTask;
    }

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
        if (_knownTenants.TryGetValue((resource.Type, id), out var known))
        {
            return new ResourceOwner(known);
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var tenant = resource.Type switch
        {
            ResourceTypes.Session => await db.Sessions.Where(s => s.Id == id).Select(s => s.TenantId).FirstOrDefaultAsync(cancellationToken),
            ResourceTypes.ApiKey => await db.ApiKeys.Where(k => k.Id == id).Select(k => k.TenantId).FirstOrDefaultAsync(cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(resource), resource.Type, "No table this service knows holds this resource type."),
        };
        if (tenant is null)
        {
            return null;
        }
        Remember(resource.Type, id, tenant);
        return new ResourceOwner(tenant);
    }

    private void Remember(string type, Guid id, string tenantId)
    {
        if (_knownTenants.Count >= MaxRememberedOwners)
        {
            // Starting over costs one read per resource in use; tracking recency would cost on every check.
            _knownTenants.Clear();
        }
        _knownTenants[(type, id)] = tenantId;
    }
}
