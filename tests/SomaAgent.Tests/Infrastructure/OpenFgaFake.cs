using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// An HTTP fake of OpenFGA (it cannot run here), faithful to the documented API for what SomaAgent uses:
/// <c>GET /stores?name=</c>, <c>POST /stores</c>, <c>POST /stores/{id}/authorization-models</c>,
/// <c>POST /stores/{id}/write</c> (writes and deletes; a duplicate write or a missing delete is refused with
/// <c>write_failed_due_to_invalid_input</c> unless <c>on_duplicate</c>/<c>on_missing</c> is <c>ignore</c>; types,
/// relations and wildcard users checked against the written model), <c>POST /stores/{id}/check</c> (the model's
/// rewrites: <c>this</c> with type-bound wildcards such as <c>tenant:*</c>, <c>computedUserset</c> and <c>union</c>,
/// which is what the model uses) and <c>POST /stores/{id}/read</c>. Unknown stores answer 404
/// <c>store_id_not_found</c>. Kestrel on loopback.
/// </summary>
public sealed class OpenFgaFake : IAsyncLifetime
{
    private readonly ConcurrentDictionary<string, Store> _stores = new();
    private WebApplication? _app;

    public Uri Url { get; private set; } = null!;

    /// <summary>While set, every call answers 500 <c>internal_error</c>, as a failing OpenFGA would.</summary>
    public bool Failing { get; set; }

    /// <summary>Every tuple written to any store, as <c>user relation object</c>.</summary>
    public IReadOnlyList<string> Tuples => [.. _stores.Values.SelectMany(s => s.Tuples.Keys)];

    /// <summary>How many checks were answered.</summary>
    public int Checks => _checks;

    private int _checks;

    public async ValueTask InitializeAsync()
    {
        _app = LoopbackHttpServer.Create();
        _app.Use(async (context, next) =>
        {
            if (Failing)
            {
                await Error(StatusCodes.Status500InternalServerError, "internal_error", "Internal Server Error").ExecuteAsync(context);
                return;
            }
            await next(context);
        });
        _app.MapGet("/stores", (string? name) => Results.Ok(new
        {
            stores = _stores.Values.Where(s => name is null || s.Name == name).Select(s => new { id = s.Id, name = s.Name }),
            continuation_token = "",
        }));
        _app.MapPost("/stores", (JsonObject body) =>
        {
            var store = new Store(Ulid(), body["name"]?.GetValue<string>() ?? "");
            _stores[store.Id] = store;
            return Results.Json(new { id = store.Id, name = store.Name, created_at = DateTime.UtcNow, updated_at = DateTime.UtcNow }, statusCode: 201);
        });
        _app.MapPost("/stores/{store}/authorization-models", (string store, JsonObject body) => WithStore(store, s =>
        {
            if (body["schema_version"]?.GetValue<string>() != "1.1" || body["type_definitions"] is not JsonArray types)
            {
                return Error(400, "invalid_authorization_model", "schema_version 1.1 and type_definitions are required");
            }
            s.Relations = types.Select(t => t!.AsObject()).ToDictionary(
                t => t["type"]!.GetValue<string>(),
                t => (t["relations"]?.AsObject().Select(r => r.Key) ?? []).ToHashSet());
            s.Rewrites = types.Select(t => t!.AsObject()).SelectMany(t => (t["relations"]?.AsObject() ?? []).Select(r =>
                (Key: $"{t["type"]!.GetValue<string>()}#{r.Key}", Rewrite: r.Value!.DeepClone()))).ToDictionary(r => r.Key, r => r.Rewrite);
            s.Wildcards = [.. types.Select(t => t!.AsObject()).SelectMany(t => (t["metadata"]?["relations"]?.AsObject() ?? [])
                .Where(r => r.Value?["directly_related_user_types"]?.AsArray().Any(u => u?["wildcard"] is not null) == true)
                .Select(r => $"{t["type"]!.GetValue<string>()}#{r.Key}"))];
            return Results.Json(new { authorization_model_id = Ulid() }, statusCode: 201);
        }));
        _app.MapPost("/stores/{store}/write", (string store, JsonObject body) => WithStore(store, s =>
        {
            var writes = body["writes"]?.AsObject();
            var ignoreDuplicates = writes?["on_duplicate"]?.GetValue<string>() == "ignore";
            foreach (var key in writes?["tuple_keys"]?.AsArray() ?? [])
            {
                var (user, relation, @object) = (Text(key, "user"), Text(key, "relation"), Text(key, "object"));
                var type = @object.Split(':')[0];
                if (s.Relations is null || !s.Relations.TryGetValue(type, out var relations) || !relations.Contains(relation))
                {
                    return Error(400, "validation_error", $"type '{type}' or relation '{relation}' not found in the authorization model");
                }
                if (user.EndsWith(":*", StringComparison.Ordinal) && !s.Wildcards.Contains($"{type}#{relation}"))
                {
                    return Error(400, "validation_error", $"the relation '{relation}' of type '{type}' does not allow wildcard users");
                }
                if (!s.Tuples.TryAdd($"{user} {relation} {@object}", DateTime.UtcNow) && !ignoreDuplicates)
                {
                    return Error(400, "write_failed_due_to_invalid_input", $"cannot write a tuple which already exists: user: '{user}', relation: '{relation}', object: '{@object}'");
                }
            }
            var deletes = body["deletes"]?.AsObject();
            var ignoreMissing = deletes?["on_missing"]?.GetValue<string>() == "ignore";
            foreach (var key in deletes?["tuple_keys"]?.AsArray() ?? [])
            {
                var tuple = $"{Text(key, "user")} {Text(key, "relation")} {Text(key, "object")}";
                if (!s.Tuples.TryRemove(tuple, out _) && !ignoreMissing)
                {
                    return Error(400, "write_failed_due_to_invalid_input", $"cannot delete a tuple which does not exist: {tuple}");
                }
            }
            return Results.Ok(new { });
        }));
        _app.MapPost("/stores/{store}/check", (string store, JsonObject body) => WithStore(store, s =>
        {
            Interlocked.Increment(ref _checks);
            var key = body["tuple_key"];
            return Results.Ok(new { allowed = s.Check(Text(key, "user"), Text(key, "relation"), Text(key, "object")), resolution = "" });
        }));
        _app.MapPost("/stores/{store}/read", (string store, JsonObject body) => WithStore(store, s =>
        {
            var key = body["tuple_key"];
            var (relation, @object) = (Text(key, "relation"), Text(key, "object"));
            var found = s.Tuples.Keys.Select(k => k.Split(' ')).Where(p => p[1] == relation && p[2] == @object)
                .Select(p => new { key = new { user = p[0], relation = p[1], @object = p[2] }, timestamp = DateTime.UtcNow });
            return Results.Ok(new { tuples = found, continuation_token = "" });
        }));
        Url = await _app.StartOnLoopbackAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private IResult WithStore(string id, Func<Store, IResult> handle) =>
        _stores.TryGetValue(id, out var store) ? handle(store) : Error(404, "store_id_not_found", "store not found");

    private static IResult Error(int status, string code, string message) => Results.Json(new { code, message }, statusCode: status);

    private static string Text(JsonNode? key, string name) => key?[name]?.GetValue<string>() ?? "";

    private static string Ulid() => Guid.CreateVersion7().ToString("N")[..26].ToUpperInvariant();

    private sealed class Store(string id, string name)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public Dictionary<string, HashSet<string>>? Relations { get; set; }
        public Dictionary<string, JsonNode> Rewrites { get; set; } = [];
        public HashSet<string> Wildcards { get; set; } = [];
        public ConcurrentDictionary<string, DateTime> Tuples { get; } = new();

        /// <summary>Evaluates the relation's rewrite: direct tuples (and type-bound wildcards), computed usersets, unions.</summary>
        public bool Check(string user, string relation, string @object) =>
            Rewrites.TryGetValue($"{@object.Split(':')[0]}#{relation}", out var rewrite) && Evaluate(rewrite, user, relation, @object);

        private bool Evaluate(JsonNode rewrite, string user, string relation, string @object)
        {
            if (rewrite["this"] is not null)
            {
                return Tuples.ContainsKey($"{user} {relation} {@object}") || Tuples.ContainsKey($"{user.Split(':')[0]}:* {relation} {@object}");
            }
            if (rewrite["computedUserset"]?["relation"]?.GetValue<string>() is { } computed)
            {
                return Check(user, computed, @object);
            }
            if (rewrite["union"]?["child"] is JsonArray children)
            {
                return children.Any(child => Evaluate(child!, user, relation, @object));
            }
            throw new NotSupportedException($"The fake does not evaluate this rewrite: {rewrite.ToJsonString()}");
        }
    }
}
