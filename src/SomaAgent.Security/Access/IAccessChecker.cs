namespace SomaAgent.Security.Access;

/// <summary>
/// Whether a tenant may touch a resource. Every resource route asks this before it reads or writes anything;
/// the relation is written when the resource is created (<see cref="GrantAsync"/>), before the resource
/// itself, so a resource never exists without it.
/// </summary>
public interface IAccessChecker
{
    Task<AccessDecision> CheckAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken);

    /// <summary>Records that <paramref name="tenantId"/> owns <paramref name="resource"/>. Idempotent.</summary>
    Task GrantAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken);
}

/// <summary>The access checker could not answer (OpenFGA down or refusing); the request is refused with 503, never let through.</summary>
public sealed class AccessCheckUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
