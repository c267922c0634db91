using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SomaAgent.Capsules;

/// <summary>One thing wrong with a manifest: where (a field path such as <c>tools.mcp[0].url</c>, and its line) and what.</summary>
public sealed record LintProblem(string Path, int? Line, string Message);

/// <summary>A lint's verdict: the manifest when it has no problem, else every problem found.</summary>
public sealed record LintResult(CapsuleManifest? Manifest, IReadOnlyList<LintProblem> Problems)
{
    public bool IsValid => Manifest is not null;
}

/// <summary>
/// Checks a <c>capsule.yaml</c> against <see cref="CapsuleSchema"/> and reports every problem at once, each with
/// its field path and line, so a publisher fixes them in one go. YAML is read by the YAML 1.2 core schema rules:
/// only <c>true</c>/<c>false</c> are booleans and only <c>null</c>/<c>~</c>/empty are null, so <c>no</c> or
/// <c>1.10</c> stay what they look like when quoted (and a bare <c>1.10</c> is reported as a number).
/// </summary>
public static class CapsuleLint
{
    /// <summary>A manifest larger than this is refused before parsing.</summary>
    public const int MaxManifestBytes = 256 * 1024;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static LintResult Check(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (Encoding.UTF8.GetByteCount(yaml) > MaxManifestBytes)
        {
            return Failed(new LintProblem("", null, $"capsule.yaml is larger than {MaxManifestBytes / 1024} KiB."));
        }

        YamlNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count != 1)
            {
                return Failed(new LintProblem("", null, $"capsule.yaml must hold exactly one YAML document, found {stream.Documents.Count}."));
            }
            root = stream.Documents[0].RootNode;
        }
        catch (YamlException ex)
        {
            // Also a field given twice: YAML forbids duplicate keys, and the parser names the line.
            return Failed(new LintProblem("", LineOf(ex.Start), $"capsule.yaml is not valid YAML: {ex.InnerException?.Message ?? ex.Message}"));
        }
        catch (InvalidOperationException ex)
        {
            // The parser gives up on some malformed flow collections without a position.
            return Failed(new LintProblem("", null, $"capsule.yaml is not valid YAML: {ex.Message}"));
        }

        var problems = new List<LintProblem>();
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        var document = ToJson(root, "", lines, problems);
        var evaluation = CapsuleSchema.Schema.Evaluate(
            JsonSerializer.SerializeToElement(document),
            new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!evaluation.IsValid)
        {
            problems.AddRange(ProblemsOf(evaluation, lines));
        }
        if (problems.Count > 0)
        {
            return new LintResult(null, [.. problems.Distinct().OrderBy(p => p.Line ?? 0).ThenBy(p => p.Path, StringComparer.Ordinal)]);
        }
        return new LintResult(document.Deserialize<CapsuleManifest>(Json), []);
    }

    private static LintResult Failed(LintProblem problem) => new(null, [problem]);

    private static IEnumerable<LintProblem> ProblemsOf(EvaluationResults evaluation, Dictionary<string, int> lines)
    {
        foreach (var detail in (evaluation.Details ?? []).Where(d => d.Errors is { Count: > 0 }))
        {
            var pointer = detail.InstanceLocation.ToString();
            var schemaPath = detail.EvaluationPath.ToString();
            var unknownField = schemaPath.EndsWith("/additionalProperties", StringComparison.Ordinal);
            foreach (var (kind, message) in detail.Errors!)
            {
                // An unknown field is reported by the "false" schema additionalProperties applies to it; a pattern's own
                // message only says it did not match, so the field's description says what is expected.
                var text = unknownField || kind == "false"
                    ? "Unknown field; see GET /v1/capsule-schema for the fields a manifest has."
                    : kind == "pattern" && CapsuleSchema.DescriptionFor(pointer) is { } expected
                        ? $"Not in the required form. {expected}"
                        : message;
                yield return new LintProblem(PathOf(pointer), LineFor(pointer, lines), text);
            }
        }
    }

    /// <summary>The line of the field at <paramref name="pointer"/>, or of the nearest field that holds it.</summary>
    private static int? LineFor(string pointer, Dictionary<string, int> lines)
    {
        for (var at = pointer; ; at = at[..at.LastIndexOf('/')])
        {
            if (lines.TryGetValue(at, out var line))
            {
                return line;
            }
            if (at.Length == 0)
            {
                return null;
            }
        }
    }

    /// <summary>A JSON pointer as a field path: <c>/tools/mcp/0/url</c> reads <c>tools.mcp[0].url</c>.</summary>
    private static string PathOf(string pointer)
    {
        var path = new StringBuilder();
        foreach (var segment in pointer.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)))
        {
            if (int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                path.Append('[').Append(segment).Append(']');
            }
            else
            {
                path.Append(path.Length > 0 ? "." : "").Append(segment);
            }
        }
        return path.ToString();
    }

    private static int LineOf(Mark mark) => (int)mark.Line;

    private static JsonNode? ToJson(YamlNode node, string pointer, Dictionary<string, int> lines, List<LintProblem> problems)
    {
        lines[pointer] = LineOf(node.Start);
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                    {
                        problems.Add(new LintProblem(PathOf(pointer), LineOf(key.Start), "A field name must be plain text."));
                        continue;
                    }
                    var child = $"{pointer}/{name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}";
                    obj[name] = ToJson(value, child, lines, problems);
                }
                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                var index = 0;
                foreach (var item in sequence.Children)
                {
                    array.Add(ToJson(item, $"{pointer}/{index++}", lines, problems));
                }
                return array;
            case YamlScalarNode scalar:
                return ScalarOf(scalar);
            default:
                problems.Add(new LintProblem(PathOf(pointer), LineOf(node.Start), "Aliases and anchors are not supported in capsule.yaml."));
                return null;
        }
    }

    /// <summary>A scalar by the YAML 1.2 core schema: quoted is text; plain is null, a boolean, a number or text.</summary>
    private static JsonValue? ScalarOf(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }
        return value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
            _ when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) => JsonValue.Create(number),
            _ => JsonValue.Create(value),
        };
    }
}
