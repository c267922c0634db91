using System.Text.Json.Serialization;
using SomaAgent.Bench.Kafka;
using SomaAgent.Bench.ToolCache;

namespace SomaAgent.Bench;

/// <summary>The body of POST /v1/sessions the bench sends.</summary>
internal sealed record CreateRequest(string Input);

/// <summary>The part of the 201 answer the bench reads.</summary>
internal sealed record SessionCreated(string? Id);

/// <summary>Source-generated JSON for the wire bodies, the calculator's arguments and the one-line results.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CreateRequest))]
[JsonSerializable(typeof(SessionCreated))]
[JsonSerializable(typeof(BenchResult))]
[JsonSerializable(typeof(CalculatorArguments))]
[JsonSerializable(typeof(ToolCacheResult))]
[JsonSerializable(typeof(KafkaBenchResult))]
[JsonSerializable(typeof(SomaAgent.Bench.Streams.StreamsBenchResult))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
