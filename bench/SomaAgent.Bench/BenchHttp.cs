namespace SomaAgent.Bench;

/// <summary>The one HTTP client every virtual client shares: a pooled handler with a connection per client.</summary>
internal static class BenchHttp
{
    /// <summary>A client of <paramref name="baseAddress"/> that sends <paramref name="apiKey"/> as a bearer token when given.</summary>
    public static HttpClient CreateClient(Uri baseAddress, int clients, string? apiKey)
    {
        var handler = new SocketsHttpHandler
        {
            // Each client holds at most one connection at a time (it creates, then streams), so this never queues.
            MaxConnectionsPerServer = clients + 16,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        };
        // Per-run timeouts come from the bench's own cancellation, so the client-wide one is off.
        var client = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(apiKey))
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }
        return client;
    }
}
