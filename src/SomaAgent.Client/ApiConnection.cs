using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;

namespace SomaAgent.Client;

/// <summary>The one way every part of the client sends a request and reads its answer or its problem.</summary>
/// <param name="http">The client whose BaseAddress is the gateway.</param>
/// <param name="credential">Asked for the bearer token before each request, when the token changes over time (one
/// that is refreshed); otherwise the HttpClient's own Authorization header is sent.</param>
internal sealed class ApiConnection(HttpClient http, Func<CancellationToken, ValueTask<string>>? credential = null)
{
    /// <summary>Sends <paramref name="message"/> with the current credential; the response, whatever its status, is the caller's.</summary>
    public async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage message, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        if (credential is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await credential(cancellationToken));
        }
        return await http.SendAsync(message, completion, cancellationToken);
    }

    public async Task<T> SendAsync<T>(HttpRequestMessage message, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return (await response.Content.ReadFromJsonAsync(type, cancellationToken))!;
    }

    public async Task SendAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync(message, type, cancellationToken);
    }

    /// <summary>The body of <c>GET path</c>, whatever its media type, or the problem it answered.</summary>
    public async Task<HttpContent> GetContentAsync(string path, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, path);
        var response = await SendRawAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
        try
        {
            await EnsureSuccessAsync(response, cancellationToken);
            return response.Content;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public static HttpRequestMessage Json<T>(HttpMethod method, string path, T body, JsonTypeInfo<T> type) =>
        new(method, path) { Content = JsonContent.Create(body, type) };

    public static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await SomaAgentProblemException.FromAsync(response, cancellationToken);
        }
    }

    /// <summary><c>?a=1&amp;b=x</c> from the values that are set, escaped; empty when none is.</summary>
    public static string Query(params (string Name, string? Value)[] values)
    {
        var set = values.Where(v => v.Value is not null).Select(v => $"{v.Name}={Uri.EscapeDataString(v.Value!)}").ToList();
        return set.Count == 0 ? "" : "?" + string.Join('&', set);
    }
}
