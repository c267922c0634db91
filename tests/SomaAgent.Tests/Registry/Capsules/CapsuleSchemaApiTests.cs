using System.Net;
using System.Text.Json;
using SomaAgent.Capsules;

namespace SomaAgent.Tests.Registry.Capsules;

/// <summary>The manifest schema is served to anyone, as the document the lint applies.</summary>
public sealed class CapsuleSchemaApiTests : IAsyncLifetime
{
    private readonly RegistryApp _registry = new(Path.Combine(Directory.CreateTempSubdirectory("somaagent-registry-").FullName, "somaagent.db"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _registry.DisposeAsync();

    [Fact]
    public async Task The_schema_is_served_without_a_credential_as_a_json_schema_document()
    {
        using var anonymous = _registry.CreateClientWith(null);

        using var response = await anonymous.GetAsync("/v1/capsule-schema", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe(CapsuleSchema.MediaType);
        var served = await response.Content.ReadAsStringAsync(Ct);
        served.ShouldBe(CapsuleSchema.Text);
        using var document = JsonDocument.Parse(served);
        document.RootElement.GetProperty("$schema").GetString().ShouldBe("https://json-schema.org/draft/2020-12/schema");
        document.RootElement.GetProperty("required").EnumerateArray().Select(e => e.GetString()).ShouldBe(["name", "version", "description", "publisher"]);
    }
}
