using Microsoft.EntityFrameworkCore;
using SomaAgent.Registry.Storage;
using SomaAgent.Security.Access;

namespace SomaAgent.Registry.Capsules;

/// <summary>Who owns a capsule name and whether it is public, for the embedded access checker.</summary>
public sealed class CapsuleOwners(IDbContextFactory<RegistryDbContext> dbFactory) : IResourceOwners
{
    public string ResourceType => ResourceTypes.Capsule;

    public async Task<ResourceOwner?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Capsules.AsNoTracking().Where(c => c.Name == id)
            .Select(c => new ResourceOwner(c.OwnerTenantId, c.IsPublic))
            .FirstOrDefaultAsync(cancellationToken);
    }
}
