using System.Text.Json.Serialization;

namespace SomaAgent.Bench.Faults;

/// <summary>Source-generated JSON for what the fault run reads from the gateway and the result it writes.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(SessionPageRecord))]
[JsonSerializable(typeof(SessionWire))]
[JsonSerializable(typeof(FaultRunResult))]
internal sealed partial class FaultJsonContext : JsonSerializerContext;
