namespace SomaAgent.Runtime.Storage;

/// <summary>A tenant: the unit of isolation. Every session, key and event belongs to exactly one.</summary>
public sealed class TenantRecord
{
    /// <summary>Lower-case slug, such as <c>default</c> or <c>acme</c>.</summary>
    public required string Id { get; set; }

    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }
}
