using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Tools;
using SomaAgent.Security;
using SomaAgent.Security.Identity;

namespace SomaAgent.Gateway.Catalog;

/// <summary>What a session can use: models (OpenAI list shape) and tools (with JSON schemas).</summary>
public static class CatalogApi
{
    public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Catalog");

        api.MapGet("/models", ListModels)
            .WithName("ListModels")
            .RequireAuthorization(ApiKeyScopes.ModelsRead)
            .WithSummary("List the models sessions can use")
            .WithDescription("The OpenAI list shape plus `provider`, `simulated` (true for the built-in deterministic model, which is not a language model) and `default`.");

        api.MapGet("/tools", ListTools)
            .WithName("ListTools")
            .RequireAuthorization(ApiKeyScopes.ModelsRead)
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

public sealed record ModelList(
    [property: JsonPropertyName("object"), Description("Always `list`.")] string Kind,
    [property: Description("The models.")] IReadOnlyList<ModelEntry> Data);

/// <summary>A model, in OpenAI's shape plus SomaAgent's fields.</summary>
public sealed record ModelEntry(
    [property: Description("The id sessions name in `model`.")] string Id,
    [property: JsonPropertyName("object"), Description("Always `model`.")] string Kind,
    [property: Description("Unix time the model was created; 0 when unknown.")] long Created,
    [property: Description("Who serves the model.")] string OwnedBy,
    [property: Description("`builtin` or the configured provider's name.")] string Provider,
    [property: Description("True for the built-in deterministic model, which is not a language model.")] bool Simulated,
    [property: Description("True for the model sessions get when they name none.")] bool Default,
    [property: Description("What the model is.")] string Description);

public sealed record ToolList(
    [property: JsonPropertyName("object"), Description("Always `list`.")] string Kind,
    [property: Description("The tools.")] IReadOnlyList<ToolEntry> Data);

/// <summary>A tool with the JSON schema of its arguments.</summary>
public sealed record ToolEntry(
    [property: Description("The name sessions list in `tools` and models call.")] string Name,
    [property: Description("What the tool does, as the model reads it.")] string Description,
    [property: Description("Where the tool comes from: `builtin`, or `mcp:<server>` for a tool of a configured MCP server.")] string Source,
    [property: Description("How long one call may take.")] int TimeoutSeconds,
    [property: Description("JSON schema of the arguments.")] JsonElement Parameters);
