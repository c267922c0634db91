namespace SomaAgent.Registry.Artifacts;

/// <summary>
/// Where capsule packages, signatures and bundles are kept: content-addressed by the SHA-256 of their bytes, so the
/// same bytes are stored once and a blob never changes. S3 (MinIO in the containers topology) or a folder (embedded).
/// </summary>
public interface IArtifactStore
{
    /// <summary>
    /// Stores <paramref name="content"/> under its SHA-256 and returns it (lowercase hex). Storing bytes that are
    /// there already changes nothing. The blob is complete when this returns, or absent.
    /// </summary>
    Task<string> PutAsync(Stream content, CancellationToken cancellationToken);

    /// <summary>The blob's bytes, or null when no blob has <paramref name="digest"/>.</summary>
    Task<Stream?> OpenAsync(string digest, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken);

    /// <summary>Removes the blob; removing one that is not there is not an error.</summary>
    Task DeleteAsync(string digest, CancellationToken cancellationToken);
}
