using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using SomaAgent.Client;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Tests.Registry;
using ClientCapsules = SomaAgent.Client.Capsules;
using Keys = SomaAgent.Client.Keys;
using Sessions = SomaAgent.Client.Sessions;

namespace SomaAgent.Tests.Client;

/// <summary>
/// The SDK's types name exactly the fields of the API's schemas: the gateway's committed <c>openapi.json</c> and the
/// Registry's served document. A field added, renamed or dropped on either side fails here, so they cannot drift.
/// </summary>
public sealed class ContractDriftTests
{
    private static readonly JsonSerializerOptions Sdk = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<Type, string> GatewayTypes { get; } = new()
    {
        { typeof(Sessions.CreateSessionRequest), "CreateSessionRequest" },
        { typeof(Sessions.PostMessageRequest), "PostMessageRequest" },
        { typeof(Sessions.ChatMessage), "MessageInput" },
        { typeof(Sessions.SessionCreated), "SessionCreated" },
        { typeof(Sessions.TurnAccepted), "TurnAccepted" },
        { typeof(Sessions.SessionSummary), "SessionSummary" },
        { typeof(Page<Sessions.SessionSummary>), "SessionPage" },
        { typeof(Sessions.SessionDetail), "SessionDetail" },
        { typeof(Sessions.SessionEvent), "SessionEventDto" },
        { typeof(Sessions.TranscriptMessage), "TranscriptMessage" },
        { typeof(Sessions.TranscriptToolCall), "TranscriptToolCall" },
        { typeof(Sessions.SessionCapsule), "SessionCapsule" },
        { typeof(Keys.CreateKeyRequest), "CreateKeyRequest" },
        { typeof(Keys.KeyInfo), "KeyInfo" },
        { typeof(Keys.KeyCreated), "KeyCreated" },
        { typeof(Keys.KeyList), "KeyList" },
        { typeof(Keys.CreateTenantRequest), "CreateTenantRequest" },
        { typeof(Keys.TenantInfo), "TenantInfo" },
        { typeof(Keys.TenantCreated), "TenantCreated" },
        { typeof(Keys.TenantList), "TenantList" },
        { typeof(Keys.CallerIdentity), "CallerIdentity" },
        { typeof(SomaAgent.Client.Catalog.ModelInfo), "ModelEntry" },
        { typeof(SomaAgent.Client.Catalog.ModelList), "ModelList" },
        { typeof(SomaAgent.Client.Catalog.ToolInfo), "ToolEntry" },
        { typeof(SomaAgent.Client.Catalog.ToolList), "ToolList" },
    };

    public static TheoryData<Type, string> RegistryTypes { get; } = new()
    {
        { typeof(ClientCapsules.CapsuleSummary), "CapsuleSummary" },
        { typeof(Page<ClientCapsules.CapsuleSummary>), "PageOfCapsuleSummary" },
        { typeof(ClientCapsules.CapsuleDetail), "CapsuleDetail" },
        { typeof(ClientCapsules.CapsuleVersionSummary), "CapsuleVersionSummary" },
        { typeof(ClientCapsules.CapsuleVersion), "CapsuleVersionDetail" },
        { typeof(ClientCapsules.SigningKeyInfo), "SigningKeyInfo" },
        { typeof(ClientCapsules.InstallationInfo), "InstallationInfo" },
    };

    [Theory]
    [MemberData(nameof(GatewayTypes))]
    public void An_SDK_type_has_the_fields_of_the_gateways_committed_schema(Type type, string schema)
    {
        var document = JsonNode.Parse(File.ReadAllText(RepoPaths.OpenApiDocument))!;

        FieldsOf(type).ShouldBe(SchemaFields(document, schema), ignoreOrder: true, $"{type.Name} against {schema}");
    }

    [Theory]
    [MemberData(nameof(RegistryTypes))]
    public async Task An_SDK_type_has_the_fields_of_the_registrys_schema(Type type, string schema)
    {
        var folder = Directory.CreateTempSubdirectory("somaagent-drift-");
        await using var registry = new RegistryApp(Path.Combine(folder.FullName, "somaagent.db"));
        using var client = registry.CreateClientWith(null);
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi.json", Ct))!;

        FieldsOf(type).ShouldBe(SchemaFields(document, schema), ignoreOrder: true, $"{type.Name} against {schema}");
    }

    /// <summary>The JSON fields the SDK reads and writes for <paramref name="type"/> (its convenience members are [JsonIgnore]d).</summary>
    private static List<string> FieldsOf(Type type) =>
        [.. Sdk.GetTypeInfo(type).Properties
            .Where(p => p.AttributeProvider?.IsDefined(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), inherit: true) != true)
            .Select(p => p.Name)];

    private static List<string> SchemaFields(JsonNode document, string schema) =>
        [.. (document["components"]?["schemas"]?[schema]?["properties"]?.AsObject()
            ?? throw new ShouldAssertException($"The API document has no schema '{schema}'.")).Select(p => p.Key)];
}
