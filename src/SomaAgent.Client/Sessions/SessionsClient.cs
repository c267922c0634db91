using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace SomaAgent.Client.Sessions;

/// <summary>Agent sessions: open, post messages, cancel, list, read, and stream their events.</summary>
public sealed class SessionsClient
{
    private readonly ApiConnection _api;
    private readonly ApiConnection _streams;
    private readonly SomaAgentClientOptions _options;

    internal SessionsClient(ApiConnection api, ApiConnection streams, SomaAgentClientOptions options)
    {
        _api = api;
        _streams = streams;
        _options = options;
    }

    /// <summary>
    /// Opens a session. Every create carries an <c>Idempotency-Key</c> (a new one unless given), so a retry of the same
    /// request (by the caller or a resilience handler) returns the same session instead of opening a second one.
    /// </summary>
    public async Task<SessionCreated> CreateAsync(CreateSessionRequest request, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, "v1/sessions")
        {
            Content = JsonContent.Create(request, ClientJsonContext.Default.CreateSessionRequest),
        };
        message.Headers.Add("Idempotency-Key", idempotencyKey ?? Guid.NewGuid().ToString("N"));
        return await SendAsync(message, ClientJsonContext.Default.SessionCreated, cancellationToken);
    }

    /// <summary>Adds the next user message; <paramref name="strategy"/> says what happens while a turn runs.</summary>
    public async Task<TurnAccepted> PostMessageAsync(Guid sessionId, PostMessageRequest request, TurnStrategy strategy = TurnStrategy.Reject, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = strategy == TurnStrategy.Reject ? "" : $"?strategy={strategy.ToString().ToLowerInvariant()}";
        using var message = new HttpRequestMessage(HttpMethod.Post, $"v1/sessions/{sessionId}/messages{query}")
        {
            Content = JsonContent.Create(request, ClientJsonContext.Default.PostMessageRequest),
        };
        return await SendAsync(message, ClientJsonContext.Default.TurnAccepted, cancellationToken);
    }

    /// <summary>Cancels the running turn (409 problem when it has ended).</summary>
    public async Task<TurnAccepted> CancelAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"v1/sessions/{sessionId}/cancel");
        return await SendAsync(message, ClientJsonContext.Default.TurnAccepted, cancellationToken);
    }

    /// <summary>Takes an installed capsule on from the next turn (between turns only).</summary>
    public async Task AttachCapsuleAsync(Guid sessionId, string capsule, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, $"v1/sessions/{sessionId}/capsules")
        {
            Content = JsonContent.Create(new AttachCapsuleBody(capsule), ClientJsonContext.Default.AttachCapsuleBody),
        };
        await _api.SendAsync(message, cancellationToken);
    }

    /// <summary>One page of the tenant's sessions, newest first.</summary>
    public async Task<Page<SessionSummary>> ListAsync(int? limit = null, string? cursor = null, CancellationToken cancellationToken = default)
    {
        var query = string.Join('&', new[]
        {
            limit is { } l ? $"limit={l.ToString(CultureInfo.InvariantCulture)}" : null,
            cursor is { } c ? $"cursor={Uri.EscapeDataString(c)}" : null,
        }.OfType<string>());
        using var message = new HttpRequestMessage(HttpMethod.Get, query.Length == 0 ? "v1/sessions" : $"v1/sessions?{query}");
        return await SendAsync(message, ClientJsonContext.Default.PageSessionSummary, cancellationToken);
    }

    /// <summary>The session, its transcript and its events (those after <paramref name="after"/>).</summary>
    public async Task<SessionDetail> GetAsync(Guid sessionId, long? after = null, CancellationToken cancellationToken = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, after is { } a ? $"v1/sessions/{sessionId}?after={a.ToString(CultureInfo.InvariantCulture)}" : $"v1/sessions/{sessionId}");
        return await SendAsync(message, ClientJsonContext.Default.SessionDetail, cancellationToken);
    }

    /// <summary>
    /// The session's events from after <paramref name="after"/>, each once and in order, until its latest turn ends. A
    /// dropped connection is resumed with <c>Last-Event-ID</c> (up to <see cref="SomaAgentClientOptions.StreamReconnects"/>
    /// times in a row); the stream has no total timeout, only the caller's cancellation.
    /// </summary>
    public async IAsyncEnumerable<SessionEvent> StreamEventsAsync(Guid sessionId, long after = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var last = after;
        var failures = 0;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/sessions/{sessionId}/events");
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (last > 0)
            {
                request.Headers.Add("Last-Event-ID", last.ToString(CultureInfo.InvariantCulture));
            }
            var opened = await TryOpenAsync(request, cancellationToken);
            if (opened.Failure is not null)
            {
                failures++;
                if (failures > _options.StreamReconnects)
                {
                    throw opened.Failure;
                }
                await Task.Delay(Backoff(failures), cancellationToken);
                continue;
            }
            using var response = opened.Response!;
            await ApiConnection.EnsureSuccessAsync(response, cancellationToken);
            using var reader = new ServerSentEventReader(await response.Content.ReadAsStreamAsync(cancellationToken));
            while (true)
            {
                var next = await reader.TryReadAsync(cancellationToken);
                if (next.Dropped is not null)
                {
                    failures++;
                    if (failures > _options.StreamReconnects)
                    {
                        throw next.Dropped;
                    }
                    await Task.Delay(Backoff(failures), cancellationToken);
                    break;
                }
                if (next.Data is null)
                {
                    // The server closed the stream: the latest turn has ended.
                    yield break;
                }
                var item = JsonSerializer.Deserialize(next.Data, ClientJsonContext.Default.SessionEvent)!;
                if (item.Sequence > last)
                {
                    last = item.Sequence;
                    failures = 0;
                    yield return item;
                }
            }
        }
    }

    private async Task<(HttpResponseMessage? Response, Exception? Failure)> TryOpenAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return (await _streams.SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken), null);
        }
        catch (HttpRequestException ex)
        {
            return (null, ex);
        }
    }

    private static TimeSpan Backoff(int failures) => TimeSpan.FromMilliseconds(Math.Min(100 * Math.Pow(2, failures - 1), 5000));

    private Task<T> SendAsync<T>(HttpRequestMessage message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        _api.SendAsync(message, type, cancellationToken);
}
