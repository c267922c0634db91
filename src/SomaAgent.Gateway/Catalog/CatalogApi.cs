using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Gateway.Catalog;

/// <summary>What a session can use: models (OpenAI list shape) and tools (with JSON schemas).</summary>
public static class CatalogApi
{
    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Catalog");

        api.MapGet("/models", ListModels)
            .WithName("ListModels")
            .WithSummary("List the models sessions can use")
            .WithDescription("The OpenAI list shape plus `provider`, `simulated` (true for the built-in deterministic model, which is not a language model) and `default`.");

        api.MapGet("/tools", ListTools)
            .WithName("ListTools")
            .WithSummary("List the tools models can call, with their JSON schemas");

        return app;
    }

    public static Ok<ModelList> ListModels(ModelCatalog models) =>
        TypedResults.Ok(new ModelList("list", [.. models.All.Select(m => new ModelEntry(
            m.Id, "model", Created: 0, OwnedBy: m.Provider == "builtin" ? "somaagent" : m.Provider, m.Provider, m.Simulated, m.Id == models.DefaultModel, m.Description))]));

    public static Ok<ToolList> ListTools(ToolCatalog tools) =>
        TypedResults.Ok(new ToolList("list", [.. tools.All.Select(t => new ToolEntry(
            t.Name, t.Function.Description, t.Source, (int)t.Timeout.TotalSeconds, t.Function.JsonSchema))]));
}

public sealed record ModelList([property: JsonPropertyName("object")] string Kind, IReadOnlyList<ModelEntry> Data);

/// <summary>A model, in OpenAI's shape plus SomaAgent's fields.</summary>
public sealed record ModelEntry(
    string Id,
    [property: JsonPropertyName("object")] string Kind,
    long Created,
    string OwnedBy,
    string Provider,
    bool Simulated,
    bool Default,
    string Description);

public sealed record ToolList([property: JsonPropertyName("object")] string Kind, IReadOnlyList<ToolEntry> Data);

/// <summary>A tool with the JSON schema of its arguments.</summary>
public sealed record ToolEntry(string Name, string Description, string Source, int TimeoutSeconds, JsonElement Parameters);
