using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;

namespace SomaAgent.Client;

/// <summary>The one way every part of the client sends a request and reads its answer or its problem.</summary>
internal sealed class ApiConnection(HttpClient http)
{
    public HttpClient Http => http;

    public async Task<T> SendAsync<T>(HttpRequestMessage message, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(message, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        return (await response.Content.ReadFromJsonAsync(type, cancellationToken))!;
    }

    public async Task SendAsync(HttpRequestMessage message, CancellationToken cancellationToken)
    {
        using var response = await http.SendAsync(message, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
    }

    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync(message, type, cancellationToken);
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
