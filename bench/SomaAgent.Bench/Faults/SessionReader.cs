using System.Net;
using System.Net.Http.Json;

namespace SomaAgent.Bench.Faults;

/// <summary>Reads every session of the caller through the gateway's API, as a user would: the list, then each one whole.</summary>
internal sealed class SessionReader(HttpClient http)
{
    private const int PageSize = 100;

    /// <summary>Every session's id and latest status, newest first.</summary>
    public async Task<List<SessionSummaryRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var sessions = new List<SessionSummaryRecord>();
        string? cursor = null;
        do
        {
            var path = $"v1/sessions?limit={PageSize}{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}";
            var page = await GetAsync(path, FaultJsonContext.Default.SessionPageRecord, cancellationToken);
            sessions.AddRange(page.Data);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return sessions;
    }

    /// <summary>One session with its whole transcript and event log; null when the gateway does not know it.</summary>
    public async Task<SessionRecord?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return (await GetAsync($"v1/sessions/{id}", FaultJsonContext.Default.SessionWire, cancellationToken)).ToRecord();
        }
        catch (HttpRequestException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<T> GetAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        // The servers are back by now, but a pool may still hold a connection the restarts broke: try a few times.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
                if ((int)response.StatusCode >= 500 && attempt < 5)
                {
                    await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
                    continue;
                }
                response.EnsureSuccessStatusCode();
                return await response.Content.ReadFromJsonAsync(type, cancellationToken)
                    ?? throw new InvalidOperationException($"GET {path} answered an empty body.");
            }
            catch (HttpRequestException ex) when (ex.StatusCode is null && attempt < 5)
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
            }
        }
    }
}
