using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace SomaAgent.Bench;

/// <summary>
/// Concurrent virtual clients, each looping over one agent run: POST /v1/sessions, then stream
/// /v1/sessions/{id}/events until it ends, checking that the sequence ids run 1, 2, 3… without a gap and that
/// the last event is a <c>status</c> of <c>completed</c>. A phase stops at its run budget or its time cap,
/// whichever comes first; runs the cap cuts short are counted apart, not as errors.
/// </summary>
internal sealed class LoadRunner(HttpClient http, BenchOptions options)
{
    private const string CompletedStatus = "completed";
    private const string StatusEventType = "status";

    public async Task<PhaseResult> RunPhaseAsync(int maxRuns, TimeSpan cap, CancellationToken cancellationToken)
    {
        var recorder = new PhaseRecorder(maxRuns == int.MaxValue ? 1 << 16 : maxRuns);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(cap);
        var claimed = 0;

        var started = Stopwatch.GetTimestamp();
        var clients = new Task[options.Clients];
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i] = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested && Interlocked.Increment(ref claimed) <= maxRuns)
                {
                    await RunOnceAsync(recorder, stop.Token);
                }
            }, CancellationToken.None);
        }
        await Task.WhenAll(clients);
        var elapsed = Stopwatch.GetElapsedTime(started);
        cancellationToken.ThrowIfCancellationRequested();
        return recorder.ToResult(elapsed, capReached: stop.IsCancellationRequested);
    }

    private async Task RunOnceAsync(PhaseRecorder recorder, CancellationToken stop)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stop);
        run.CancelAfter(options.RunTimeout);
        var stage = "create";
        string? sessionId = null;
        var start = Stopwatch.GetTimestamp();
        try
        {
            using (var created = await http.PostAsJsonAsync(new Uri("v1/sessions", UriKind.Relative), new CreateRequest(options.Input), BenchJsonContext.Default.CreateRequest, run.Token))
            {
                if (created.StatusCode != HttpStatusCode.Created)
                {
                    recorder.Error($"create answered {(int)created.StatusCode}", await created.Content.ReadAsStringAsync(run.Token));
                    return;
                }
                sessionId = await ReadIdAsync(created, run.Token);
            }
            var createdAt = Stopwatch.GetTimestamp();

            stage = "stream";
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/sessions/{sessionId}/events", UriKind.Relative));
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, run.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                recorder.Error($"events answered {(int)response.StatusCode}", $"session {sessionId}: {await response.Content.ReadAsStringAsync(run.Token)}");
                return;
            }

            await using var body = await response.Content.ReadAsStreamAsync(run.Token);
            long expected = 1;
            var events = 0;
            SseItem<string> last = default;
            await foreach (var item in SseParser.Create(body).EnumerateAsync(run.Token))
            {
                if (!long.TryParse(item.EventId, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence != expected)
                {
                    recorder.Error("sequence gap", $"session {sessionId}: expected id {expected}, got '{item.EventId}' ({item.EventType})");
                    return;
                }
                expected++;
                events++;
                last = item;
            }
            var finished = Stopwatch.GetTimestamp();

            if (events == 0)
            {
                recorder.Error("empty stream", $"session {sessionId}: the stream ended without an event");
                return;
            }
            var status = last.EventType == StatusEventType ? ReadStatus(last.Data) : null;
            if (status != CompletedStatus)
            {
                recorder.Error("not completed", $"session {sessionId}: last event #{last.EventId} is {last.EventType} with status '{status}'");
                return;
            }
            recorder.Completed(createdAt - start, finished - start, events);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            recorder.CutByCap();
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            recorder.Error($"{stage} timed out", $"session {sessionId ?? "(none yet)"}: no end within {options.RunTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            recorder.Error($"{stage} transport error", $"session {sessionId ?? "(none yet)"}: {ex.Message}");
        }
        catch (IOException ex)
        {
            recorder.Error($"{stage} I/O error", $"session {sessionId ?? "(none yet)"}: {ex.Message}");
        }
        catch (JsonException ex)
        {
            recorder.Error($"{stage} bad JSON", $"session {sessionId ?? "(none yet)"}: {ex.Message}");
        }
    }

    private static async Task<string> ReadIdAsync(HttpResponseMessage created, CancellationToken cancellationToken)
    {
        var body = await created.Content.ReadFromJsonAsync(BenchJsonContext.Default.SessionCreated, cancellationToken);
        return body?.Id is { Length: > 0 } id ? id : throw new JsonException("201 Created without an id");
    }

    /// <summary>The <c>data.status</c> of a status event (the SSE data is the event: sequence, type, turn, data).</summary>
    private static string? ReadStatus(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("data", out var data)
               && data.ValueKind == JsonValueKind.Object
               && data.TryGetProperty("status", out var status)
            ? status.GetString()
            : null;
    }
}
