using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SomaAgent.Security.Jwt;

/// <summary>
/// Reads one secret from Vault's KV v2 engine: <c>GET {VAULT_ADDR}/v1/{mount}/data/{path}</c> with <c>X-Vault-Token</c>,
/// answered by <c>{"data":{"data":{…},"metadata":{…}}}</c>. Errors answer <c>{"errors":[…]}</c>.
/// </summary>
public sealed class VaultKvClient(HttpClient http)
{
    public const string TokenHeader = "X-Vault-Token";

    /// <summary>The fields of the newest version of the secret.</summary>
    /// <exception cref="HttpRequestException">Vault answered an error status (its <c>errors</c> in the message) or could not be reached.</exception>
    public async Task<IReadOnlyDictionary<string, JsonElement>> ReadAsync(Uri vault, string token, string mount, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vault);
        var segments = string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
        var url = new Uri($"{vault.ToString().TrimEnd('/')}/v1/{Uri.EscapeDataString(mount)}/data/{segments}");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add(TokenHeader, token);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Error(response.StatusCode, await ReadErrorsAsync(response, cancellationToken));
        }
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        if (body.ValueKind != JsonValueKind.Object
            || !body.TryGetProperty("data", out var outer) || outer.ValueKind != JsonValueKind.Object
            || !outer.TryGetProperty("data", out var inner) || inner.ValueKind != JsonValueKind.Object)
        {
            throw Error(response.StatusCode, "the answer has no data.data object; is the mount a KV version 2 engine?");
        }
        return inner.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    }

    private static HttpRequestException Error(HttpStatusCode status, string errors) =>
        new($"Vault answered {(int)status} {status}: {errors}", null, status);

    private static async Task<string> ReadErrorsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            if (body.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var text = string.Join("; ", errors.EnumerateArray().Select(e => e.ToString()));
                return text.Length > 0 ? text : response.StatusCode == HttpStatusCode.NotFound ? "no secret at this path" : "no detail";
            }
        }
        catch (JsonException)
        {
        }
        return "no detail";
    }
}
