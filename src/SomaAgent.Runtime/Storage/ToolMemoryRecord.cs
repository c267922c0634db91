namespace SomaAgent.Runtime.Storage;

/// <summary>A value the <c>memory</c> tool keeps for one session.</summary>
public sealed class ToolMemoryRecord
{
    public Guid SessionId { get; set; }
    public required string Key { get; set; }
    public required string TenantId { get; set; }
    public required string Value { get; set; }
    public DateTime UpdatedAt { get; set; }
}
