using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Runtime.Sessions;

namespace SomaAgent.Bench;

/// <summary>The session the reads scenario reads: created once before the phase, and waited for until its turn ends.</summary>
internal static class ReadTarget
{
    public static async Task<string> CreateFinishedSessionAsync(HttpClient http, CancellationToken cancellationToken)
    {
        using var created = await http.PostAsJsonAsync(new Uri("v1/sessions", UriKind.Relative), new CreateRequest("What is 12*(3+4)?"),
            BenchJsonContext.Default.CreateRequest, cancellationToken);
        if (created.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Could not create the session to read: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync(cancellationToken)}");
        }
        var id = (await created.Content.ReadFromJsonAsync(BenchJsonContext.Default.SessionCreated, cancellationToken))?.Id
            ?? throw new InvalidOperationException("201 Created without an id");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var session = JsonDocument.Parse(await http.GetStringAsync(new Uri($"v1/sessions/{id}", UriKind.Relative), deadline.Token));
            if (session.RootElement.GetProperty("status").GetString() is { } status && SessionStatus.IsEnded(status))
            {
                return id;
            }
            await Task.Delay(50, deadline.Token);
        }
    }
}
