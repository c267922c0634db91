namespace SomaAgent.Registry.Storage;

/// <summary>A capsule version a tenant installed. One per tenant, capsule and version.</summary>
public sealed class InstallationRecord
{
    public required Guid Id { get; init; }

    public required string TenantId { get; init; }

    public required string CapsuleName { get; init; }

    public required string Version { get; init; }

    /// <summary>The key or user that installed it.</summary>
    public required string CreatedBy { get; init; }

    public DateTime CreatedAt { get; init; }
}
