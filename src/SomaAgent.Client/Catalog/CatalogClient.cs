using System.Text.Json;
using System.Text.Json.Serialization;

namespace SomaAgent.Client.Catalog;

/// <summary>A model sessions can use (<c>GET /v1/models</c>); a simulated one says so.</summary>
public sealed record ModelInfo(string Id, [property: JsonPropertyName("object")] string Kind, long Created, string OwnedBy, string Provider, bool Simulated, bool Default, string Description);

public sealed record ModelList([property: JsonPropertyName("object")] string Kind, IReadOnlyList<ModelInfo> Data);

/// <summary>A tool sessions can offer the model (<c>GET /v1/tools</c>), with its JSON schema.</summary>
public sealed record ToolInfo(string Name, string Description, string Source, double TimeoutSeconds, JsonElement Parameters);

public sealed record ToolList([property: JsonPropertyName("object")] string Kind, IReadOnlyList<ToolInfo> Data);

/// <summary>What the deployment offers sessions: its models and tools.</summary>
public sealed class CatalogClient
{
    private readonly ApiConnection _api;

    internal CatalogClient(ApiConnection api) => _api = api;

    public Task<ModelList> ListModelsAsync(CancellationToken cancellationToken = default) =>
        _api.GetAsync("v1/models", ClientJsonContext.Default.ModelList, cancellationToken);

    public Task<ToolList> ListToolsAsync(CancellationToken cancellationToken = default) =>
        _api.GetAsync("v1/tools", ClientJsonContext.Default.ToolList, cancellationToken);
}
