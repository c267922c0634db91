using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Engine.Tools.Caching;

/// <summary>
/// The cache key of a call: <c>tool-result:{tool}:{sha256}</c>, where the hash covers the tenant, the tool's
/// source and name, and the arguments in canonical JSON (properties sorted at every depth, no whitespace), so
/// <c>{"a":1,"b":2}</c> and <c>{ "b": 2, "a": 1 }</c> meet while tenants never do. Values keep their JSON text,
/// so <c>1</c> and <c>1.0</c> stay apart: a missed hit, never a wrong one.
/// </summary>
public static class ToolResultKey
{
    /// <summary>Bump when the key or the stored value changes shape, so old entries are simply not found.</summary>
    private const string Version = "v1";

    public static string For(ToolCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            // An array keeps the parts apart: no separator inside a tenant id can make two calls collide.
            writer.WriteStartArray();
            writer.WriteStringValue(Version);
            writer.WriteStringValue(call.Invocation.TenantId);
            writer.WriteStringValue(call.Tool.Source);
            writer.WriteStringValue(call.Tool.Name);
            writer.WriteStartObject();
            foreach (var (name, value) in call.Arguments.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(name);
                WriteCanonical(writer, value is JsonElement element ? element : JsonSerializer.SerializeToElement(value, ToolJson.Options));
            }
            writer.WriteEndObject();
            writer.WriteEndArray();
        }
        return $"tool-result:{call.Tool.Name}:{Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan))}";
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}
