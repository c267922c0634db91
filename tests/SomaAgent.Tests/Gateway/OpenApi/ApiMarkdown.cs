using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SomaAgent.Tests.Gateway.OpenApi;

/// <summary>
/// Renders docs/SomaAgent01_API.md from the gateway's OpenAPI document: the introduction, the conventions
/// (errors, headers, streaming), then per tag each operation with its parameters, request body, responses and
/// examples, then the schemas. Pure and deterministic, so a test can tell when the committed file is stale.
/// </summary>
internal static class ApiMarkdown
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Render(JsonNode document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var md = new Writer();
        var info = document["info"]!;
        md.Line("# " + Str(info["title"]) + " (" + Str(info["version"]) + ")");
        md.Line();
        md.Line("> Generated from `src/SomaAgent.Gateway/openapi.json` (OpenAPI " + Str(document["openapi"]) + ") by `eng/update-api-docs.sh`. Do not edit by hand: a test fails when this file is stale. The live document is served at `/openapi.json` and browsable at `/scalar`.");
        md.Line();
        md.Line("## Overview");
        md.Line();
        md.Line(Str(info["description"]));
        md.Line();

        var operations = Operations(document).ToList();
        Conventions(md, document, operations);
        Index(md, operations);

        foreach (var tag in Tags(document, operations))
        {
            md.Line("## " + tag.Name);
            md.Line();
            if (tag.Description.Length > 0)
            {
                md.Line(tag.Description);
                md.Line();
            }
            foreach (var operation in operations.Where(o => o.Tag == tag.Name))
            {
                Operation(md, document, operation);
            }
        }
        Schemas(md, document);
        return md.ToString();
    }

    private sealed record Op(string Method, string Path, string Tag, JsonObject Node)
    {
        public string Id => Str(Node["operationId"]);
        public string Title => Method.ToUpperInvariant() + " " + Path;
    }

    private sealed record TagInfo(string Name, string Description);

    private static IEnumerable<Op> Operations(JsonNode document) =>
        from path in document["paths"]!.AsObject()
        from method in Methods
        let node = path.Value![method]
        where node is not null
        select new Op(method, path.Key, Str(node["tags"]?[0]) is { Length: > 0 } tag ? tag : "Other", node.AsObject());

    private static IEnumerable<TagInfo> Tags(JsonNode document, List<Op> operations)
    {
        var declared = (document["tags"]?.AsArray() ?? [])
            .Select(t => new TagInfo(Str(t!["name"]), Str(t["description"])))
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
        // In the order the operations first use them, which follows the paths of the document.
        return operations.Select(o => o.Tag).Distinct(StringComparer.Ordinal)
            .Select(name => declared.TryGetValue(name, out var tag) ? tag : new TagInfo(name, ""));
    }

    private static void Conventions(Writer md, JsonNode document, List<Op> operations)
    {
        md.Line("## Conventions in detail");
        md.Line();
        md.Line("### Errors");
        md.Line();
        md.Line("Every error is `application/problem+json`; every operation can also answer 500 (`urn:somaagent:problem:internal`). The fields:");
        md.Line();
        Properties(md, document, document["components"]?["schemas"]?["ValidationProblemDetails"] ?? document["components"]?["schemas"]?["ProblemDetails"]);

        var problems = new SortedDictionary<string, (string Title, SortedSet<string> Statuses)>(StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            foreach (var (status, response) in Responses(operation))
            {
                foreach (var example in Examples(response?["content"]?["application/problem+json"]))
                {
                    var type = Str(example.Value["type"]);
                    if (!problems.TryGetValue(type, out var entry))
                    {
                        problems[type] = entry = (Str(example.Value["title"]), new SortedSet<string>(StringComparer.Ordinal));
                    }
                    entry.Statuses.Add(status);
                }
            }
        }
        md.Line("The problem types the operations document (`type` is stable; `title` and `detail` are for people):");
        md.Line();
        md.Line("| type | status | title |");
        md.Line("|---|---|---|");
        foreach (var (type, (title, statuses)) in problems)
        {
            md.Line("| `" + type + "` | " + string.Join(", ", statuses) + " | " + Cell(title) + " |");
        }
        md.Line();

        md.Line("### Headers");
        md.Line();
        md.Line("| header | direction | description |");
        md.Line("|---|---|---|");
        foreach (var (name, header) in document["components"]?["headers"]?.AsObject() ?? [])
        {
            md.Line("| `" + name + "` | every response | " + Cell(Str(header?["description"])) + " |");
        }
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var operation in operations)
        {
            foreach (var parameter in Parameters(document, operation).Where(p => Str(p["in"]) == "header" && seen.Add(Str(p["name"]))))
            {
                md.Line("| `" + Str(parameter["name"]) + "` | request (" + operation.Title + ") | " + Cell(Str(parameter["description"])) + " |");
            }
            foreach (var (status, response) in Responses(operation))
            {
                foreach (var (name, header) in response?["headers"]?.AsObject() ?? [])
                {
                    if (header?["$ref"] is null && seen.Add(name))
                    {
                        md.Line("| `" + name + "` | response (" + operation.Title + " " + status + ") | " + Cell(Str(header?["description"])) + " |");
                    }
                }
            }
        }
        md.Line();

        var streams = operations.SelectMany(o => Responses(o).Where(r => r.Response?["content"]?["text/event-stream"] is not null).Select(r => (o, r.Response))).ToList();
        if (streams.Count > 0)
        {
            md.Line("### Streaming");
            md.Line();
            foreach (var (operation, response) in streams)
            {
                md.Line("`" + operation.Title + "`: " + Str(response!["description"]));
                md.Line();
            }
        }
    }

    private static void Index(Writer md, List<Op> operations)
    {
        md.Line("## Operations");
        md.Line();
        md.Line("| operation | summary |");
        md.Line("|---|---|");
        foreach (var operation in operations)
        {
            md.Line("| [`" + operation.Title + "`](#" + Anchor(operation.Id) + ") | " + Cell(Str(operation.Node["summary"])) + " |");
        }
        md.Line();
    }

    private static void Operation(Writer md, JsonNode document, Op operation)
    {
        md.Line("<a id=\"" + Anchor(operation.Id) + "\"></a>");
        md.Line();
        md.Line("### `" + operation.Title + "`");
        md.Line();
        md.Line("**" + Str(operation.Node["summary"]) + "** (operation id `" + operation.Id + "`)");
        md.Line();
        if (Str(operation.Node["description"]) is { Length: > 0 } description)
        {
            md.Line(description);
            md.Line();
        }

        var parameters = Parameters(document, operation).ToList();
        if (parameters.Count > 0)
        {
            md.Line("Parameters:");
            md.Line();
            md.Line("| name | in | type | required | description |");
            md.Line("|---|---|---|---|---|");
            foreach (var parameter in parameters)
            {
                md.Line("| `" + Str(parameter["name"]) + "` | " + Str(parameter["in"]) + " | " + TypeOf(parameter["schema"]) + " | "
                    + (parameter["required"]?.GetValue<bool>() == true ? "yes" : "no") + " | " + Cell(Str(parameter["description"])) + " |");
            }
            md.Line();
        }

        if (operation.Node["requestBody"] is { } body)
        {
            foreach (var (mediaType, media) in body["content"]?.AsObject() ?? [])
            {
                md.Line("Request body (`" + mediaType + "`" + (body["required"]?.GetValue<bool>() == true ? ", required" : "") + "): " + TypeOf(media?["schema"]));
                md.Line();
                Properties(md, document, media?["schema"]);
                foreach (var example in Examples(media))
                {
                    md.Line("Example `" + example.Name + "`" + (example.Summary.Length > 0 ? " (" + example.Summary + ")" : "") + ":");
                    md.Line();
                    Code(md, example.Value);
                }
            }
        }

        md.Line("Responses:");
        md.Line();
        md.Line("| status | content | description |");
        md.Line("|---|---|---|");
        var longDescriptions = new List<(string Status, string Text)>();
        foreach (var (status, response) in Responses(operation))
        {
            var content = (response?["content"]?.AsObject() ?? []).Select(c => "`" + c.Key + "` " + TypeOf(c.Value?["schema"]));
            var meaning = Str(response?["description"]);
            // A description of several paragraphs does not fit a table cell: it follows the table instead.
            if (meaning.Contains("\n\n", StringComparison.Ordinal))
            {
                longDescriptions.Add((status, meaning));
                meaning = "See below.";
            }
            md.Line("| " + status + " | " + string.Join("<br>", content) + " | " + Cell(meaning) + " |");
        }
        md.Line();
        foreach (var (status, text) in longDescriptions)
        {
            md.Line("Response " + status + ": " + text);
            md.Line();
        }

        // The 500 example is the same on every operation; the conventions cover it.
        foreach (var (status, response) in Responses(operation).Where(r => r.Status != "500"))
        {
            foreach (var (_, media) in response?["content"]?.AsObject() ?? [])
            {
                foreach (var example in Examples(media))
                {
                    md.Line("Example " + status + (example.Name.Length > 0 ? " `" + example.Name + "`" : "") + (example.Summary.Length > 0 ? " (" + example.Summary + ")" : "") + ":");
                    md.Line();
                    Code(md, example.Value);
                }
            }
        }
    }

    private static void Schemas(Writer md, JsonNode document)
    {
        md.Line("## Schemas");
        md.Line();
        foreach (var (name, schema) in document["components"]?["schemas"]?.AsObject() ?? [])
        {
            md.Line("<a id=\"" + Anchor("schema-" + name) + "\"></a>");
            md.Line();
            md.Line("### " + name);
            md.Line();
            if (Str(schema?["description"]) is { Length: > 0 } description)
            {
                md.Line(description);
                md.Line();
            }
            if (schema?["properties"] is null)
            {
                md.Line("Type: " + TypeOf(schema) + ".");
                md.Line();
                continue;
            }
            Properties(md, document, schema);
        }
    }

    /// <summary>A table of an object schema's properties (following one <c>$ref</c>).</summary>
    private static void Properties(Writer md, JsonNode document, JsonNode? schema)
    {
        var resolved = Resolve(document, schema);
        if (resolved?["properties"] is not JsonObject properties)
        {
            return;
        }
        var required = (resolved["required"]?.AsArray() ?? []).Select(r => Str(r)).ToHashSet(StringComparer.Ordinal);
        md.Line("| field | type | required | description |");
        md.Line("|---|---|---|---|");
        foreach (var (name, property) in properties)
        {
            md.Line("| `" + name + "` | " + TypeOf(property) + " | " + (required.Contains(name) ? "yes" : "no") + " | " + Cell(Str(property?["description"])) + " |");
        }
        md.Line();
    }

    private static IEnumerable<JsonNode> Parameters(JsonNode document, Op operation) =>
        (operation.Node["parameters"]?.AsArray() ?? []).Select(p => Resolve(document, p)!);

    /// <summary>The operation's responses by status code (the document lists them in the order they were added).</summary>
    private static IEnumerable<(string Status, JsonNode? Response)> Responses(Op operation) =>
        (operation.Node["responses"]?.AsObject() ?? []).Select(r => (r.Key, r.Value)).OrderBy(r => r.Key, StringComparer.Ordinal);

    private sealed record Example(string Name, string Summary, JsonNode Value);

    private static IEnumerable<Example> Examples(JsonNode? media)
    {
        if (media?["example"] is { } single)
        {
            yield return new Example("", "", single);
        }
        foreach (var (name, example) in media?["examples"]?.AsObject() ?? [])
        {
            if (example?["value"] is { } value)
            {
                yield return new Example(name, Str(example["summary"]), value);
            }
        }
    }

    private static JsonNode? Resolve(JsonNode document, JsonNode? node)
    {
        if (node?["$ref"] is not { } reference)
        {
            return node;
        }
        var target = document;
        foreach (var segment in Str(reference).TrimStart('#', '/').Split('/'))
        {
            target = target?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
        }
        return target;
    }

    /// <summary>A short type: a link for a reference, <c>T[]</c> for arrays, <c>map of T</c>, <c>T or null</c>.</summary>
    private static string TypeOf(JsonNode? schema)
    {
        if (schema is null)
        {
            return "";
        }
        if (schema["$ref"] is { } reference)
        {
            var name = Str(reference).Split('/')[^1];
            return "[" + name + "](#" + Anchor("schema-" + name) + ")";
        }
        var types = schema["type"] switch
        {
            JsonArray many => many.Select(t => Str(t)).ToList(),
            JsonValue one => [Str(one)],
            _ => [],
        };
        // Numbers that the API also reads from strings show up as ["integer", "string"] with a pattern.
        if (types.Contains("string") && (types.Contains("integer") || types.Contains("number")) && schema["pattern"] is not null)
        {
            types.Remove("string");
        }
        var nullable = types.Remove("null");
        var text = types.Count == 0 ? "any" : string.Join(" or ", types.Select(t => t switch
        {
            "array" => TypeOf(schema["items"]) + "[]",
            "object" when schema["additionalProperties"] is JsonObject values => "map of " + TypeOf(values),
            _ => t,
        }));
        if (schema["format"] is { } format)
        {
            text += " (" + Str(format) + ")";
        }
        if (schema["enum"] is JsonArray values2)
        {
            text += ": " + string.Join(", ", values2.Select(v => "`" + Str(v) + "`"));
        }
        return nullable ? text + " or null" : text;
    }

    private static void Code(Writer md, JsonNode value)
    {
        var isText = value is JsonValue v && v.GetValueKind() == JsonValueKind.String;
        md.Line(isText ? "```text" : "```json");
        md.Line(isText ? Str(value).TrimEnd('\n') : value.ToJsonString(Indented));
        md.Line("```");
        md.Line();
    }

    private static string Str(JsonNode? node) => node switch
    {
        null => "",
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal).Trim();

    private static string Anchor(string text) => text.ToLowerInvariant();

    /// <summary>Lines joined with <c>\n</c> on every platform, so the committed file is the same everywhere.</summary>
    private sealed class Writer
    {
        private readonly StringBuilder _text = new();

        public void Line(string text = "") => _text.Append(text.ReplaceLineEndings("\n")).Append('\n');

        public override string ToString() => _text.ToString().TrimEnd('\n') + "\n";
    }
}
