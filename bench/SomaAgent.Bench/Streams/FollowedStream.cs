using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;
using SomaAgent.Runtime.Sessions;

namespace SomaAgent.Bench.Streams;

/// <summary>
/// One client holding <c>GET /v1/sessions/{id}/events?follow=true</c> open for the whole run: it checks that ids run
/// 1, 2, 3… without a gap, notes when each turn ends, and, from the measured turn on, how long each event took from
/// being stored (its <c>created_at</c>) to arriving here.
/// </summary>
internal sealed class FollowedStream(HttpClient http, string sessionId, int measuredTurn, ConcurrentQueue<double> delaysMs)
{
    private readonly TaskCompletionSource _firstTurnEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _measuredTurnEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _last;

    public string SessionId => sessionId;

    /// <summary>Completes when the session's first turn has ended on this stream (it replays it, then waits).</summary>
    public Task FirstTurnEnded => _firstTurnEnded.Task;

    /// <summary>Completes when the measured turn has ended on this stream.</summary>
    public Task MeasuredTurnEnded => _measuredTurnEnded.Task;

    /// <summary>Events received so far.</summary>
    public int Events { get; private set; }

    /// <summary>Why the stream failed (a gap, an early close, an error answer); null while it is fine.</summary>
    public string? Failure { get; private set; }

    /// <summary>Reads the stream until <paramref name="cancellationToken"/> ends the run.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/sessions/{sessionId}/events?follow=true", UriKind.Relative));
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Fail($"events answered {(int)response.StatusCode}");
                return;
            }
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await foreach (var item in SseParser.Create(body).EnumerateAsync(cancellationToken))
            {
                var arrived = DateTime.UtcNow;
                if (!long.TryParse(item.EventId, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence != _last + 1)
                {
                    Fail($"expected id {_last + 1}, got '{item.EventId}'");
                    return;
                }
                _last = sequence;
                Events++;
                Take(item, arrived);
            }
            Fail("the server closed a following stream");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException)
        {
            Fail($"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private void Take(SseItem<string> item, DateTime arrived)
    {
        using var document = JsonDocument.Parse(item.Data);
        var root = document.RootElement;
        var turn = root.GetProperty("turn").GetInt32();
        if (turn >= measuredTurn)
        {
            delaysMs.Enqueue((arrived - root.GetProperty("created_at").GetDateTime().ToUniversalTime()).TotalMilliseconds);
        }
        if (item.EventType == "status"
            && root.GetProperty("data").TryGetProperty("status", out var status)
            && SessionStatus.IsEnded(status.GetString() ?? ""))
        {
            (turn >= measuredTurn ? _measuredTurnEnded : _firstTurnEnded).TrySetResult();
        }
    }

    private void Fail(string why)
    {
        Failure ??= $"session {sessionId}: {why}";
        var error = new InvalidOperationException(Failure);
        _firstTurnEnded.TrySetException(error);
        _measuredTurnEnded.TrySetException(error);
    }
}
