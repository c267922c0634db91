using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SomaAgent.Security.Access;

/// <summary>
/// Access checks against OpenFGA's HTTP API: <c>POST /stores/{id}/check</c> per request, a tuple
/// <c>tenant:&lt;t&gt; tenant &lt;type&gt;:&lt;id&gt;</c> written (<c>on_duplicate: ignore</c>, OpenFGA ≥ 1.10) when a
/// resource is created, and <c>/read</c> only on a refusal, to tell another tenant's resource (audited) from
/// a missing one. Any failure to get an answer is <see cref="AccessCheckUnavailableException"/>: never allow.
/// </summary>
public sealed partial class OpenFgaAccessChecker(HttpClient http, IOptions<OpenFgaOptions> options, ILogger<OpenFgaAccessChecker> logger)
    : IAccessChecker, IDisposable
{
    /// <summary>The owning tenant: every resource type has it.</summary>
    public const string Relation = "tenant";

    /// <summary>Who may read: defined for capsules as the owner or, once public, every tenant.</summary>
    public const string ReaderRelation = "reader";
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly SemaphoreSlim _setup = new(1, 1);
    private (string StoreId, string? ModelId)? _store;

    public Task<AccessDecision> CheckAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken) =>
        CheckAsync(tenantId, resource, Relation, cancellationToken);

    /// <summary>The model's <c>reader</c> relation: the owner, or every tenant through <c>tenant:*</c> once public.</summary>
    public Task<AccessDecision> CheckReadAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken) =>
        CheckAsync(tenantId, resource, ReaderRelation, cancellationToken);

    public async Task GrantAsync(string tenantId, ResourceRef resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        await WriteAsync(writes: Tuple($"tenant:{tenantId}", Relation, resource), deletes: null, cancellationToken);
    }

    public Task SetPublicAsync(ResourceRef resource, bool isPublic, CancellationToken cancellationToken)
    {
        var everyTenant = Tuple("tenant:*", ReaderRelation, resource);
        return isPublic
            ? WriteAsync(writes: everyTenant, deletes: null, cancellationToken)
            : WriteAsync(writes: null, deletes: everyTenant, cancellationToken);
    }

    public void Dispose() => _setup.Dispose();

    private async Task<AccessDecision> CheckAsync(string tenantId, ResourceRef resource, string relation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tenantId);
        var (store, model) = await StoreAsync(cancellationToken);
        var check = await SendAsync<CheckResponse>($"stores/{store}/check",
            new { tuple_key = Tuple($"tenant:{tenantId}", relation, resource), authorization_model_id = model }, cancellationToken);
        if (check.Allowed)
        {
            return AccessDecision.Allowed;
        }
        var owners = await SendAsync<ReadResponse>($"stores/{store}/read",
            new { tuple_key = new { relation = Relation, @object = resource.FgaObject }, page_size = 1 }, cancellationToken);
        return owners.Tuples is { Count: > 0 } ? AccessDecision.OtherTenant : AccessDecision.NotFound;
    }

    /// <summary>Writes and deletes tuples; a tuple already there, or already gone, is not an error (OpenFGA ≥ 1.10).</summary>
    private async Task WriteAsync(object? writes, object? deletes, CancellationToken cancellationToken)
    {
        var (store, model) = await StoreAsync(cancellationToken);
        await SendAsync<JsonObject>($"stores/{store}/write", new
        {
            writes = writes is null ? null : new { tuple_keys = new[] { writes }, on_duplicate = "ignore" },
            deletes = deletes is null ? null : new { tuple_keys = new[] { deletes }, on_missing = "ignore" },
            authorization_model_id = model,
        }, cancellationToken);
    }

    private static object Tuple(string user, string relation, ResourceRef resource) =>
        new { user, relation, @object = resource.FgaObject };

    /// <summary>The configured store, or the one named <c>StoreName</c> (created with the model when missing).</summary>
    private async Task<(string StoreId, string? ModelId)> StoreAsync(CancellationToken cancellationToken)
    {
        if (_store is { } known)
        {
            return known;
        }
        await _setup.WaitAsync(cancellationToken);
        try
        {
            if (_store is { } raced)
            {
                return raced;
            }
            var settings = options.Value;
            var storeId = settings.StoreId;
            var modelId = settings.AuthorizationModelId;
            if (string.IsNullOrEmpty(storeId))
            {
                var stores = await SendAsync<ListStoresResponse>($"stores?name={Uri.EscapeDataString(settings.StoreName)}", null, cancellationToken);
                storeId = stores.Stores?.FirstOrDefault(s => s.Name == settings.StoreName)?.Id;
                if (storeId is null)
                {
                    storeId = (await SendAsync<StoreResponse>("stores", new { name = settings.StoreName }, cancellationToken)).Id;
                    LogStoreCreated(logger, settings.StoreName, storeId);
                }
            }
            if (string.IsNullOrEmpty(modelId))
            {
                // Writing the model again is cheap and makes a changed model.json take effect on the next start.
                var model = await SendAsync<WriteModelResponse>($"stores/{storeId}/authorization-models", AuthorizationModel.Value, cancellationToken);
                modelId = model.AuthorizationModelId;
            }
            _store = (storeId!, modelId);
            return _store.Value;
        }
        finally
        {
            _setup.Release();
        }
    }

    private async Task<T> SendAsync<T>(string path, object? body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.TimeoutMilliseconds);
        try
        {
            using var response = body is null
                ? await http.GetAsync(path, timeout.Token)
                : await http.PostAsJsonAsync(path, body, body is JsonNode ? null : Json, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                throw new AccessCheckUnavailableException(
                    $"OpenFGA answered {(int)response.StatusCode} {(HttpStatusCode)response.StatusCode} to {path.Split('?')[0]}: {Truncate(text)}");
            }
            return await response.Content.ReadFromJsonAsync<T>(timeout.Token)
                ?? throw new AccessCheckUnavailableException($"OpenFGA answered an empty body to {path}.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AccessCheckUnavailableException($"OpenFGA did not answer {path.Split('?')[0]} within {options.Value.TimeoutMilliseconds} ms.");
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException)
        {
            throw new AccessCheckUnavailableException($"OpenFGA could not be asked ({path.Split('?')[0]}): {ex.Message}", ex);
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static readonly Lazy<JsonNode> AuthorizationModel = new(() =>
    {
        using var stream = typeof(OpenFgaAccessChecker).Assembly.GetManifestResourceStream("SomaAgent.OpenFga.model.json")
            ?? throw new InvalidOperationException("The OpenFGA model resource is missing from the build.");
        return JsonNode.Parse(stream)!;
    });

    private sealed record CheckResponse([property: JsonPropertyName("allowed")] bool Allowed);

    private sealed record ReadResponse([property: JsonPropertyName("tuples")] List<JsonObject>? Tuples);

    private sealed record StoreResponse([property: JsonPropertyName("id")] string Id, [property: JsonPropertyName("name")] string Name);

    private sealed record ListStoresResponse([property: JsonPropertyName("stores")] List<StoreResponse>? Stores);

    private sealed record WriteModelResponse([property: JsonPropertyName("authorization_model_id")] string AuthorizationModelId);

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Created OpenFGA store '{StoreName}' ({StoreId})")]
    private static partial void LogStoreCreated(ILogger logger, string storeName, string storeId);
}
