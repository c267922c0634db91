using System.ComponentModel.DataAnnotations;

namespace SomaAgent.Registry.Configuration;

/// <summary>Section <c>SomaAgent:Registry</c>; <c>REGISTRY_MAX_CAPSULE_BYTES</c> overrides <see cref="MaxCapsuleBytes"/>.</summary>
public sealed class RegistryOptions
{
    public const string SectionName = "SomaAgent:Registry";

    /// <summary>The largest package a publish may upload, in bytes. Default 50 MiB.</summary>
    [Range(1024, 1L << 32)]
    public long MaxCapsuleBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>How often the janitor looks for blobs no version points at. Default one minute.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan JanitorInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a blob no version points at is left alone: longer than any publish takes between storing its
    /// package and committing its version. Default 5 minutes, so an orphan is gone within 6.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromMinutes(5);
}
