namespace SomaAgent.Registry.Artifacts;

/// <summary>
/// Where the registry keeps artifacts (section <c>S3</c>, as the AppHost passes MinIO's settings): S3 when
/// <see cref="ServiceUrl"/> is set, else a folder in the data directory.
/// </summary>
public sealed class ArtifactStoreOptions
{
    public const string SectionName = "S3";

    /// <summary>The S3 endpoint, such as MinIO's <c>http://minio:9000</c>; unset keeps artifacts in a folder.</summary>
    public Uri? ServiceUrl { get; set; }

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>The bucket, created at start-up when missing.</summary>
    public string Bucket { get; set; } = "somaagent-capsules";

    /// <summary>The S3 region to sign for; MinIO and most S3-compatible servers take the default.</summary>
    public string Region { get; set; } = "us-east-1";
}
