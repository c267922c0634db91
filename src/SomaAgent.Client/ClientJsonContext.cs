using System.Text.Json.Serialization;
using SomaAgent.Client.Sessions;

namespace SomaAgent.Client;

/// <summary>The API's JSON: snake_case names, source-generated (trimming and AOT safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(CreateSessionRequest))]
[JsonSerializable(typeof(PostMessageRequest))]
[JsonSerializable(typeof(SessionCreated))]
[JsonSerializable(typeof(TurnAccepted))]
[JsonSerializable(typeof(Page<SessionSummary>))]
[JsonSerializable(typeof(SessionDetail))]
[JsonSerializable(typeof(SessionEvent))]
[JsonSerializable(typeof(AttachCapsuleBody))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;

internal sealed record AttachCapsuleBody(string Capsule);
