namespace SomaAgent.Runtime.Tools;

/// <summary>Every tool this deployment offers, by name.</summary>
public sealed class ToolCatalog
{
    private readonly Dictionary<string, AgentTool> _tools;

    public ToolCatalog(IEnumerable<AgentTool> tools)
    {
        _tools = tools.ToDictionary(t => t.Name, StringComparer.Ordinal);
        All = [.. _tools.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];
    }

    public IReadOnlyList<AgentTool> All { get; }

    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AgentTool? tool) =>
        _tools.TryGetValue(name, out tool);
}
