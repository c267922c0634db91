namespace SomaAgent.Security.Audit;

/// <summary>Section <c>SomaAgent:Audit</c>; <c>AUDIT_LOG_PATH</c> overrides the path.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "SomaAgent:Audit";

    /// <summary>
    /// The JSON-lines file, appended to and never rewritten; a relative path is under the content root.
    /// Default <c>audit/&lt;service&gt;.jsonl</c> in the data folder (<c>SomaAgent:DataDirectory</c>, default the user's
    /// data home, see <c>DataHome</c>), e.g. <c>~/.local/share/somaagent/audit/SomaAgent.Gateway.jsonl</c>: one file per
    /// service, never two writers.
    /// </summary>
    public string? Path { get; set; }
}
