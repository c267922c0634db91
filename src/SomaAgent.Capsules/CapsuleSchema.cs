using System.Text.Json;
using Json.Schema;

namespace SomaAgent.Capsules;

/// <summary>The JSON Schema of <c>capsule.yaml</c>: one file, served as it is and applied by <see cref="CapsuleLint"/>.</summary>
public static class CapsuleSchema
{
    public const string MediaType = "application/schema+json";

    /// <summary>The schema document, as served at <c>GET /v1/capsule-schema</c>.</summary>
    public static string Text { get; } = Read();

    /// <summary>The schema, parsed once.</summary>
    public static JsonSchema Schema { get; } = JsonSchema.FromText(Text);

    /// <summary>
    /// What the schema says of the field at <paramref name="instancePointer"/> (a JSON pointer into a manifest, such
    /// as <c>/tools/mcp/0/url</c>): the description of its schema, or of the nearest field above it that has one.
    /// </summary>
    public static string? DescriptionFor(string instancePointer)
    {
        ArgumentNullException.ThrowIfNull(instancePointer);
        var schema = Document.RootElement;
        string? description = null;
        foreach (var segment in instancePointer.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var found = schema.TryGetProperty("properties", out var properties) && properties.TryGetProperty(segment, out var field)
                ? field
                : schema.TryGetProperty("items", out var items) ? items : default;
            if (found.ValueKind != JsonValueKind.Object)
            {
                break;
            }
            schema = found;
            if (schema.TryGetProperty("description", out var text) && text.ValueKind == JsonValueKind.String)
            {
                description = text.GetString();
            }
        }
        return description;
    }

    private static JsonDocument Document { get; } = JsonDocument.Parse(Text);

    private static string Read()
    {
        using var stream = typeof(CapsuleSchema).Assembly.GetManifestResourceStream("SomaAgent.Capsules.capsule.schema.json")
            ?? throw new InvalidOperationException("The capsule schema is not embedded in the registry.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
