using System.Text.Json;

namespace SomaAgent.Tests.Gateway;

/// <summary>One Server-Sent Event as the client received it.</summary>
public sealed record SseEvent(string? Id, string? Type, JsonElement Data);

/// <summary>Reads an SSE response body event by event, as a browser's EventSource would.</summary>
public static class SseReader
{
    public static async IAsyncEnumerable<SseEvent> ReadAsync(Stream body, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body);
        string? id = null, type = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    yield return new SseEvent(id, type, JsonDocument.Parse(string.Join("\n", data)).RootElement.Clone());
                }
                id = type = null;
                data.Clear();
                continue;
            }
            if (line.StartsWith(':'))
            {
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "data": data.Add(value); break;
            }
        }
    }

    /// <summary>Reads every event until the server closes the stream.</summary>
    public static async Task<List<SseEvent>> ReadAllAsync(Stream body, CancellationToken cancellationToken)
    {
        var events = new List<SseEvent>();
        await foreach (var item in ReadAsync(body, cancellationToken))
        {
            events.Add(item);
        }
        return events;
    }
}
