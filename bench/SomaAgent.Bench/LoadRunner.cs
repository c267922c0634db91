using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace SomaAgent.Bench;

/// <summary>What each virtual client sends and what it holds a run to.</summary>
/// <param name="Expect">Text the run's answer (its last <c>message.completed</c>) must contain; null: any answer.</param>
/// <param name="MaxStreamLag">Longest a stream may stay open after its turn's final event was stored.</param>
/// <param name="MaxHopWait">
/// Longest a turn may wait to start running after it was created, and a <c>tool.result</c> may follow its
/// <c>tool.call</c>: the built-in tools answer in milliseconds and a request on a partition that moves reaches its
/// new owner within two heartbeats of the consumer group, so a longer wait is a lost message that something rescued later.
/// </param>
internal sealed record LoadProfile(int Clients, string Input, string? Expect, TimeSpan RunTimeout, TimeSpan MaxStreamLag, TimeSpan MaxHopWait)
{
    /// <summary>What every scenario holds a run to: its stream closes within 1 s of the turn, each hop within 10 s.</summary>
    public static LoadProfile Standard(int clients, string input, string? expect, TimeSpan runTimeout) =>
        new(clients, input, expect, runTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
}

/// <summary>
/// Concurrent virtual clients, each looping over one agent run: POST /v1/sessions, then stream
/// /v1/sessions/{id}/events until it ends, checking that the sequence ids run 1, 2, 3… without a gap, that
/// the last event is a <c>status</c> of <c>completed</c>, that the answer holds the expected text, and that
/// the stream closed within <see cref="LoadProfile.MaxStreamLag"/> of the turn's end, and that the turn started
/// and every tool result came within <see cref="LoadProfile.MaxHopWait"/> of its request (by the events' <c>created_at</c>,
/// stamped by the services on this same machine). A phase stops at its run budget or its time
/// cap, whichever comes first; runs the cap cuts short are counted apart, not as errors.
/// </summary>
internal sealed class LoadRunner(HttpClient http, LoadProfile profile)
{
    /// <summary>Error kind of a completed run whose answer lacks <see cref="LoadProfile.Expect"/>.</summary>
    public const string WrongAnswer = "answer without the expected text";

    /// <summary>Error kind of a run whose stream closed later than <see cref="LoadProfile.MaxStreamLag"/> after its turn ended.</summary>
    public const string LateStream = "stream outlived its turn";

    /// <summary>Error kind of a completed run whose tool result came later than <see cref="LoadProfile.MaxHopWait"/> after its call.</summary>
    public const string LateToolResult = "tool result late";

    /// <summary>Error kind of a completed run whose turn started running later than <see cref="LoadProfile.MaxHopWait"/> after it was created.</summary>
    public const string LateStart = "turn started late";

    private const string CompletedStatus = "completed";
    private const string RunningStatus = "running";
    private const string StatusEventType = "status";
    private const string AnswerEventType = "message.completed";
    private const string ToolCallEventType = "tool.call";
    private const string ToolResultEventType = "tool.result";

    public async Task<PhaseResult> RunPhaseAsync(int maxRuns, TimeSpan cap, CancellationToken cancellationToken)
    {
        var recorder = new PhaseRecorder(maxRuns == int.MaxValue ? 1 << 16 : maxRuns);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(cap);
        var claimed = 0;

        var started = Stopwatch.GetTimestamp();
        var clients = new Task[profile.Clients];
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
        run.CancelAfter(profile.RunTimeout);
        var stage = "create";
        string? sessionId = null;
        var start = Stopwatch.GetTimestamp();
        try
        {
            using (var created = await http.PostAsJsonAsync(new Uri("v1/sessions", UriKind.Relative), new CreateRequest(profile.Input), BenchJsonContext.Default.CreateRequest, run.Token))
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
            string? answer = null;
            var calls = new Dictionary<string, DateTime>(StringComparer.Ordinal);
            var toolWait = TimeSpan.Zero;
            DateTime? firstAt = null;
            DateTime? runningAt = null;
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
                firstAt ??= ReadCreatedAt(item.Data);
                switch (item.EventType)
                {
                    case StatusEventType when runningAt is null && ReadData(item.Data, "status") == RunningStatus:
                        runningAt = ReadCreatedAt(item.Data);
                        break;
                    case AnswerEventType:
                        answer = ReadData(item.Data, "content");
                        break;
                    case ToolCallEventType when ReadData(item.Data, "call_id") is { } call:
                        calls[call] = ReadCreatedAt(item.Data);
                        break;
                    case ToolResultEventType when ReadData(item.Data, "call_id") is { } call && calls.TryGetValue(call, out var askedAt):
                        var waited = ReadCreatedAt(item.Data) - askedAt;
                        toolWait = waited > toolWait ? waited : toolWait;
                        break;
                }
            }
            var finished = Stopwatch.GetTimestamp();
            var closedAt = DateTime.UtcNow;

            if (events == 0)
            {
                recorder.Error("empty stream", $"session {sessionId}: the stream ended without an event");
                return;
            }
            var status = last.EventType == StatusEventType ? ReadData(last.Data, "status") : null;
            if (status != CompletedStatus)
            {
                recorder.Error("not completed", $"session {sessionId}: last event #{last.EventId} is {last.EventType} with status '{status}'");
                return;
            }
            if (profile.Expect is { } expect && answer?.Contains(expect, StringComparison.Ordinal) != true)
            {
                recorder.Error(WrongAnswer, $"session {sessionId}: '{expect}' is not in the answer \"{answer}\"");
                return;
            }
            if (runningAt - firstAt > profile.MaxHopWait)
            {
                recorder.Error(LateStart, $"session {sessionId}: the turn started running {(runningAt - firstAt)?.TotalSeconds:0.0} s after it was created");
                return;
            }
            if (toolWait > profile.MaxHopWait)
            {
                recorder.Error(LateToolResult, $"session {sessionId}: a tool result came {toolWait.TotalSeconds:0.0} s after its call");
                return;
            }
            var lag = closedAt - ReadCreatedAt(last.Data);
            if (lag > profile.MaxStreamLag)
            {
                recorder.Error(LateStream, $"session {sessionId}: the stream closed {lag.TotalSeconds:0.0} s after the turn ended");
                return;
            }
            recorder.Completed(createdAt - start, finished - start, events, lag);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            recorder.CutByCap();
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
            recorder.Error($"{stage} timed out", $"session {sessionId ?? "(none yet)"}: no end within {profile.RunTimeout.TotalSeconds:0} s");
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

    /// <summary>A string of the event's <c>data</c> (the SSE data is the event: sequence, type, created_at, turn, data).</summary>
    private static string? ReadData(string json, string property)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("data", out var data)
               && data.ValueKind == JsonValueKind.Object
               && data.TryGetProperty(property, out var value)
               && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
    }

    /// <summary>When the event was stored (its <c>created_at</c>, UTC).</summary>
    private static DateTime ReadCreatedAt(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("created_at").GetDateTime().ToUniversalTime();
    }
}
