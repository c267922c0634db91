namespace SomaAgent.Registry.Capsules;

/// <summary>
/// A capsule name and who owns it. Names are global: the tenant that publishes a name first owns it, and only
/// that tenant publishes further versions under it.
/// </summary>
public sealed class CapsuleRecord
{
    /// <summary>Lowercase <c>a-z0-9-</c>, unique across every tenant.</summary>
    public required string Name { get; init; }

    public required string OwnerTenantId { get; init; }

    /// <summary>The key or user that published the first version.</summary>
    public required string CreatedBy { get; init; }

    public DateTime CreatedAt { get; init; }
}
