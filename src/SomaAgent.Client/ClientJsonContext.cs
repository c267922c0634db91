using System.Text.Json.Serialization;
using SomaAgent.Client.Capsules;
using SomaAgent.Client.Catalog;
using SomaAgent.Client.Keys;
using SomaAgent.Client.Sessions;

namespace SomaAgent.Client;

/// <summary>The API's JSON: snake_case names, source-generated (trimming and AOT safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ToolList))]
[JsonSerializable(typeof(CreateSessionRequest))]
[JsonSerializable(typeof(PostMessageRequest))]
[JsonSerializable(typeof(SessionCreated))]
[JsonSerializable(typeof(TurnAccepted))]
[JsonSerializable(typeof(Page<SessionSummary>))]
[JsonSerializable(typeof(SessionDetail))]
[JsonSerializable(typeof(SessionEvent))]
[JsonSerializable(typeof(AttachCapsuleBody))]
[JsonSerializable(typeof(CreateKeyRequest))]
[JsonSerializable(typeof(CallerIdentity))]
[JsonSerializable(typeof(KeyCreated))]
[JsonSerializable(typeof(KeyList))]
[JsonSerializable(typeof(KeyInfo))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(TenantCreated))]
[JsonSerializable(typeof(TenantList))]
[JsonSerializable(typeof(TenantInfo))]
[JsonSerializable(typeof(CapsuleVersion))]
[JsonSerializable(typeof(Page<CapsuleSummary>))]
[JsonSerializable(typeof(CapsuleDetail))]
[JsonSerializable(typeof(SigningKeyInfo))]
[JsonSerializable(typeof(Page<SigningKeyInfo>))]
[JsonSerializable(typeof(InstallationInfo))]
[JsonSerializable(typeof(Page<InstallationInfo>))]
[JsonSerializable(typeof(RegisterSigningKeyBody))]
[JsonSerializable(typeof(YankBody))]
[JsonSerializable(typeof(InstallBody))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;

internal sealed record AttachCapsuleBody(string Capsule);
