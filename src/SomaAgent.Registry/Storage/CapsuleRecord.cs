namespace SomaAgent.Registry.Storage;

/// <summary>
/// A capsule name, who owns it, and what the marketplace shows of it. Names are global: the tenant that publishes a
/// name first owns it, and only that tenant publishes further versions under it. The description, publisher and
/// tags are those of <see cref="LatestVersion"/>, kept here so search reads one row per capsule.
/// </summary>
public sealed class CapsuleRecord
{
    /// <summary>Lowercase <c>a-z0-9-</c>, unique across every tenant.</summary>
    public required string Name { get; init; }

    public required string OwnerTenantId { get; init; }

    /// <summary>The key or user that published the first version.</summary>
    public required string CreatedBy { get; init; }

    public DateTime CreatedAt { get; init; }

    /// <summary>Readable by every tenant, or by its owner only; the latest publish decides.</summary>
    public bool IsPublic { get; set; }

    /// <summary>The highest version that is not yanked (a release before any pre-release), or null when every version is yanked.</summary>
    public string? LatestVersion { get; set; }

    public string Description { get; set; } = "";

    /// <summary>The manifest's <c>publisher</c>: the name users know the publisher by.</summary>
    public string Publisher { get; set; } = "";

    /// <summary>The publisher in lower case: what <c>?publisher=</c> matches, whatever case it is written in.</summary>
    public string PublisherKey { get; set; } = "";

    /// <summary>The name and description in lower case: what <c>?q=</c> searches.</summary>
    public string SearchText { get; set; } = "";

    /// <summary>The latest version's tags, space separated and lower case (the rows of <see cref="CapsuleTagRecord"/> are what search uses).</summary>
    public string Tags { get; set; } = "";

    /// <summary>Package downloads of every version.</summary>
    public long Downloads { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>One tag of a capsule's latest version: what <c>GET /v1/capsules?tag=</c> finds through an index.</summary>
public sealed class CapsuleTagRecord
{
    public required string Tag { get; init; }

    public required string CapsuleName { get; init; }
}
