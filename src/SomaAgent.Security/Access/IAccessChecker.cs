namespace SomaAgent.Security.Access;

/// <summary>
/// Whether a tenant may touch a resource. Every resource route asks this before it reads or writes anything;
/// the relation is written when the resource is created (<see cref="GrantAsync"/>), before the resource
/// itself, so a resource never exists without it.
/// </summary>
public interface IAccessChecker
{
    /// <summary>Whether <paramref name="tenantId"/> owns <paramref name="resource"/>: what every write and every private read needs.</summary>
    Task<AccessDecision> CheckAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <paramref name="tenantId"/> may read <paramref name="resource"/>: it owns it, or the owner made it public
    /// (<see cref="SetPublicAsync"/>; capsules only).
    /// </summary>
    Task<AccessDecision> CheckReadAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="tenantId"/> owns <paramref name="resource"/>. Idempotent.</summary>
    Task GrantAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="resource"/> readable by every tenant, or by its owner only again. Idempotent.</summary>
    Task SetPublicAsync(ResourceRef resource, bool isPublic, CancellationToken cancellationToken);
}

/// <summary>
/// Who owns the resources of one type that live outside the session store (a service's own tables): what the
/// embedded <see cref="DatabaseAccessChecker"/> reads for that type. The service that owns the table registers it.
/// </summary>
public interface IResourceOwners
{
    /// <summary>The <see cref="ResourceTypes"/> value this answers for.</summary>
    string ResourceType { get; }

    /// <summary>The resource's owner and whether every tenant may read it, or null when there is no such resource.</summary>
    Task<ResourceOwner?> FindAsync(string id, CancellationToken cancellationToken);
}

/// <summary>A resource's owning tenant, and whether the owner made it readable by every tenant.</summary>
public sealed record ResourceOwner(string TenantId, bool IsPublic = false);

/// <summary>The access checker could not answer (OpenFGA down or refusing); the request is refused with 503, never let through.</summary>
public sealed class AccessCheckUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
