using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace SomaAgent.Runtime.Tools;

/// <summary>
/// Every tool this deployment offers, by name. The tools registered in DI are there from the start; tools
/// discovered at run time (MCP servers) are set per source with <see cref="SetSourceTools"/> and can come
/// and go while the host runs, so readers look tools up at request time and never keep a copy.
/// </summary>
public sealed class ToolCatalog
{
    private readonly Lock _gate = new();
    private readonly List<string> _sourceOrder = [];
    private readonly Dictionary<string, IReadOnlyList<AgentTool>> _bySource = new(StringComparer.Ordinal);
    private volatile Snapshot _snapshot;

    public ToolCatalog(IEnumerable<AgentTool> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        foreach (var group in tools.GroupBy(t => t.Source, StringComparer.Ordinal))
        {
            _sourceOrder.Add(group.Key);
            _bySource[group.Key] = [.. group];
        }
        _snapshot = Build(out _);
    }

    /// <summary>Raised after the set of tools changed (a source added, replaced or removed its tools).</summary>
    public event EventHandler? Changed;

    /// <summary>The tools offered right now, ordered by name.</summary>
    public IReadOnlyList<AgentTool> All => _snapshot.All;

    public bool TryGet(string name, [NotNullWhen(true)] out AgentTool? tool) =>
        _snapshot.ByName.TryGetValue(name, out tool);

    /// <summary>
    /// Replaces every tool of <paramref name="source"/> with <paramref name="tools"/> (empty removes them).
    /// A name another source already offers keeps its first owner; the names skipped that way are returned.
    /// </summary>
    public IReadOnlyList<string> SetSourceTools(string source, IEnumerable<AgentTool> tools)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentNullException.ThrowIfNull(tools);
        var list = tools.ToList();
        if (list.Any(t => t.Source != source))
        {
            throw new ArgumentException($"Every tool must have the source '{source}'.", nameof(tools));
        }

        IReadOnlyList<string> skipped;
        lock (_gate)
        {
            if (!_bySource.ContainsKey(source))
            {
                _sourceOrder.Add(source);
            }
            _bySource[source] = list;
            _snapshot = Build(out var shadowed);
            skipped = [.. shadowed.Where(t => t.Source == source).Select(t => t.Name)];
        }
        Changed?.Invoke(this, EventArgs.Empty);
        return skipped;
    }

    /// <summary>First source wins a name, in the order sources appeared; the losers are reported.</summary>
    private Snapshot Build(out List<AgentTool> shadowed)
    {
        shadowed = [];
        var byName = new Dictionary<string, AgentTool>(StringComparer.Ordinal);
        foreach (var source in _sourceOrder)
        {
            foreach (var tool in _bySource[source])
            {
                if (!byName.TryAdd(tool.Name, tool))
                {
                    shadowed.Add(tool);
                }
            }
        }
        return new Snapshot(byName.ToFrozenDictionary(StringComparer.Ordinal), [.. byName.Values.OrderBy(t => t.Name, StringComparer.Ordinal)]);
    }

    private sealed record Snapshot(FrozenDictionary<string, AgentTool> ByName, IReadOnlyList<AgentTool> All);
}
