using System.ComponentModel.DataAnnotations;

namespace SomaAgent.Engine.Tools.Caching;

/// <summary>
/// The tool result cache (section <c>SomaAgent:Tools:Cache</c>): HybridCache in process memory, with Redis
/// behind it when <c>ConnectionStrings:redis</c> is set so every worker shares the results. Only tools that
/// declare a result lifetime are cached (<see cref="AgentTool.ResultCacheDuration"/>).
/// </summary>
public sealed class ToolResultCacheOptions
{
    public const string SectionName = "SomaAgent:Tools:Cache";

    /// <summary>Serve repeated calls of cacheable tools from the cache. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Longest time a result stays in this process's memory; the tool's own lifetime still applies in Redis.
    /// Default 300 s.
    /// </summary>
    [Range(1, 86_400)]
    public int LocalDurationSeconds { get; set; } = 300;

    /// <summary>Largest result stored, in UTF-8 bytes; a bigger one is returned but not kept. Default 65536.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxResultBytes { get; set; } = 64 * 1024;
}
