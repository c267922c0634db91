using Microsoft.EntityFrameworkCore;
using SomaAgent.Registry.Storage;
using SomaAgent.Security.Access;

namespace SomaAgent.Registry.Installations;

/// <summary>Who owns an installation, for the embedded access checker.</summary>
public sealed class InstallationOwners(IDbContextFactory<RegistryDbContext> dbFactory) : IResourceOwners
{
    public string ResourceType => ResourceTypes.CapsuleInstallation;

    public async Task<ResourceOwner?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var installation))
        {
            return null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var tenant = await db.Installations.AsNoTracking().Where(i => i.Id == installation).Select(i => i.TenantId).FirstOrDefaultAsync(cancellationToken);
        return tenant is null ? null : new ResourceOwner(tenant);
    }
}
