using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Conventions;

/// <summary>Log event ids are unique across the solution and lie in the ranges docs/event-ids.md allocates.</summary>
public sealed partial class EventIdAllocationTests
{
    /// <summary>The SomaAgent assemblies that must be scanned; each has logging methods today.</summary>
    private static readonly string[] ServiceAssemblies =
    [
        "SomaAgent.Runtime", "SomaAgent.Security", "SomaAgent.Engine", "SomaAgent.Messaging.Kafka", "SomaAgent.Models.Gguf",
        "SomaAgent.Gateway", "SomaAgent.Workers",
    ];

    private static readonly List<Allocation> Ranges = ReadRanges();

    private static readonly List<LoggingMethod> Methods = FindLoggingMethods();

    [Fact]
    public void Every_service_assembly_is_scanned()
    {
        Methods.Select(m => m.Assembly).Distinct().ShouldBe(ServiceAssemblies, ignoreOrder: true);
    }

    [Fact]
    public void Every_logging_method_names_its_event_id()
    {
        Methods.Where(m => m.EventId < 0).Select(m => m.Name).ShouldBeEmpty();
    }

    [Fact]
    public void No_two_logging_methods_share_an_event_id()
    {
        Methods.Where(m => m.EventId >= 0)
            .GroupBy(m => m.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Name))}")
            .ShouldBeEmpty();
    }

    [Fact]
    public void Every_event_id_lies_in_the_range_of_its_owner()
    {
        Methods.Where(m => m.EventId >= 0)
            .Select(m => (Method: m, Range: Ranges.Where(r => m.Owner.StartsWith(r.Owner, StringComparison.Ordinal)).MaxBy(r => r.Owner.Length)))
            .Where(x => x.Range is null || x.Method.EventId < x.Range.First || x.Method.EventId > x.Range.Last)
            .Select(x => $"{x.Method.Name} ({x.Method.EventId}): {(x.Range is null ? "no range owns it" : $"{x.Range.Owner} owns {x.Range.First}-{x.Range.Last}")}")
            .ShouldBeEmpty();
    }

    [Fact]
    public void The_ranges_do_not_overlap()
    {
        Ranges.Count.ShouldBeGreaterThan(0);
        var ordered = Ranges.OrderBy(r => r.First).ToList();
        ordered.Zip(ordered.Skip(1))
            .Where(pair => pair.Second.First <= pair.First.Last)
            .Select(pair => $"{pair.First.Owner} and {pair.Second.Owner}")
            .ShouldBeEmpty();
        Ranges.Where(r => r.First > r.Last).Select(r => r.Owner).ShouldBeEmpty();
    }

    private static List<Allocation> ReadRanges() =>
        [.. File.ReadLines(RepoPaths.EventIds)
            .Select(line => RangeRow().Match(line))
            .Where(match => match.Success)
            .Select(match => new Allocation(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[3].Value))];

    private static List<LoggingMethod> FindLoggingMethods()
    {
        var methods = new List<LoggingMethod>();
        foreach (var name in ServiceAssemblies)
        {
            var assembly = Assembly.Load(name);
            foreach (var type in assembly.GetTypes())
            {
                var owner = type.Namespace?.StartsWith("SomaAgent", StringComparison.Ordinal) == true ? type.FullName! : $"{name}.{type.Name}";
                foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
                {
                    if (method.GetCustomAttribute<LoggerMessageAttribute>() is { } attribute)
                    {
                        methods.Add(new LoggingMethod(name, owner, $"{type.FullName}.{method.Name}", attribute.EventId));
                    }
                }
            }
        }
        return methods;
    }

    [GeneratedRegex(@"^\| (\d+) \| (\d+) \| `([A-Za-z.]+)` \|")]
    private static partial Regex RangeRow();

    private sealed record Allocation(int First, int Last, string Owner);

    private sealed record LoggingMethod(string Assembly, string Owner, string Name, int EventId);
}
