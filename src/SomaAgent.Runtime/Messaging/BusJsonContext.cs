using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SomaAgent.Runtime.Messaging;

/// <summary>Source-generated JSON of bus messages as they travel between processes.</summary>
[JsonSerializable(typeof(BusMessage))]
public sealed partial class BusJsonContext : JsonSerializerContext
{
    /// <summary>Compact, and the event data inside kept as the client sent it (see <c>SessionJsonContext.Wire</c>).</summary>
    public static BusJsonContext Wire { get; } = new(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
