using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;

namespace SomaAgent.AppHost.Deployment;

/// <summary>
/// YAML as people write it: keys in the order given, strings quoted only where YAML would read them otherwise, and
/// file contents as literal blocks, so a generated ConfigMap diffs line by line against its source.
/// </summary>
internal static class Yaml
{
    private static readonly ISerializer Serializer = new SerializerBuilder()
        .WithQuotingNecessaryStrings()
        .WithIndentedSequences()
        .WithEventEmitter(next => new LiteralMultilineEmitter(next))
        .Build();

    /// <summary>A mapping whose keys keep the order they were added in.</summary>
    public static OrderedDictionary<string, object?> Map(params (string Key, object? Value)[] entries)
    {
        var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in entries)
        {
            if (value is not null)
            {
                map.Add(key, value);
            }
        }
        return map;
    }

    public static string Serialize(object document) => Serializer.Serialize(document);

    /// <summary>Several documents in one file, each after a <c>---</c>.</summary>
    public static string SerializeAll(IEnumerable<object> documents) =>
        string.Concat(documents.Select(d => "---\n" + Serialize(d)));

    private sealed class LiteralMultilineEmitter(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
        {
            if (eventInfo.Source.Value is string text && text.Contains('\n', StringComparison.Ordinal) && IsLiteralSafe(text))
            {
                eventInfo = new ScalarEventInfo(eventInfo.Source) { Style = ScalarStyle.Literal };
            }
            base.Emit(eventInfo, emitter);
        }

        // A literal block cannot keep trailing blanks on a line or tabs, nor start with a space.
        private static bool IsLiteralSafe(string text) =>
            !text.Contains('\t', StringComparison.Ordinal) && !text.StartsWith(' ')
            && text.Split('\n').All(line => line.Length == 0 || !char.IsWhiteSpace(line[^1]));
    }
}
