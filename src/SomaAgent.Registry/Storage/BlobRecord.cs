namespace SomaAgent.Registry.Storage;

/// <summary>
/// The index of the artifact store's blobs: written before a blob is stored and touched by every publish that uses
/// it, so the janitor finds blobs no version points at (a publish that failed after storing its package) without
/// listing the store, and never removes one a publish is about to point at.
/// </summary>
public sealed class BlobRecord
{
    /// <summary>Lowercase hex SHA-256.</summary>
    public required string Digest { get; init; }

    public long Size { get; set; }

    /// <summary>When a publish last claimed the blob; the janitor leaves younger blobs alone.</summary>
    public DateTime TouchedAt { get; set; }

    /// <summary>Set by the janitor before it removes the blob; a publish that finds it set stores the blob again after.</summary>
    public bool Deleting { get; set; }
}
