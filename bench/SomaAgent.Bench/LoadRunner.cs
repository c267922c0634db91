using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using SomaAgent.Runtime.Sessions;

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
    /// <summary>How runs arrive: <see cref="Arrival.Closed"/> clients loop; <see cref="Arrival.Open"/> runs start at a fixed rate.</summary>
    public Arrival Arrival { get; init; } = Arrival.Closed;

    /// <summary>Runs started per second with <see cref="Arrival.Open"/>.</summary>
    public double Rate { get; init; }

    /// <summary>Time over which load grows to its full level: clients join one by one, or the rate climbs from zero.</summary>
    public TimeSpan Ramp { get; init; }

    /// <summary>With <see cref="Arrival.Conversation"/>: turns each user's session has before the user opens a new one.</summary>
    public int TurnsPerSession { get; init; } = 5;

    /// <summary>With <see cref="Arrival.Conversation"/>: the mean of a user's exponentially distributed think time between turns.</summary>
    public TimeSpan ThinkMean { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>What one run is: an agent run (create, then stream) or, with a path, one GET of it.</summary>
    public string? ReadPath { get; init; }

    /// <summary>Print a progress line every second (to standard error).</summary>
    public bool LiveProgress { get; init; }

    /// <summary>
    /// Clients behave as a careful client does when servers fail: they retry a create (with an idempotency key) and
    /// reconnect a broken stream from the last event they saw, instead of counting the run as an error at once.
    /// </summary>
    public bool Resilient { get; init; }

    /// <summary>Where the clients note every session they opened and every message accepted (or whose fate is unknown).</summary>
    public SessionLedger? Ledger { get; init; }

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
/// <param name="gateways">
/// Gateway replicas to spread the clients over (client i, or user i, uses replica i mod N); null: <paramref name="http"/> alone.
/// A resilient client whose replica stops answering carries on through the next one.
/// </param>
internal sealed class LoadRunner(HttpClient http, LoadProfile profile, IReadOnlyList<HttpClient>? gateways = null)
{
    private readonly IReadOnlyList<HttpClient> _gateways = gateways is { Count: > 0 } ? gateways : [http];
    private readonly long[] _runsByGateway = new long[gateways is { Count: > 0 } ? gateways.Count : 1];
    private int _nextGateway;

    /// <summary>Runs completed through each gateway replica, in the order given.</summary>
    public IReadOnlyList<long> RunsByGateway => _runsByGateway;

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

    /// <summary>Error kind of an open-model run that could not start: every client was busy (the server is saturated).</summary>
    public const string NotStarted = "not started: every client busy";

    public async Task<PhaseResult> RunPhaseAsync(int maxRuns, TimeSpan cap, CancellationToken cancellationToken)
    {
        var recorder = new PhaseRecorder(maxRuns == int.MaxValue ? 1 << 18 : maxRuns);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(cap);
        var started = Stopwatch.GetTimestamp();
        using var progress = profile.LiveProgress ? ReportProgress(recorder, started, stop.Token) : null;
        await (profile.Arrival switch
        {
            Arrival.Open => RunOpenAsync(recorder, maxRuns, stop.Token),
            Arrival.Conversation => RunConversationsAsync(recorder, maxRuns, stop.Token),
            _ => RunClosedAsync(recorder, maxRuns, stop.Token),
        });
        var elapsed = Stopwatch.GetElapsedTime(started);
        cancellationToken.ThrowIfCancellationRequested();
        return recorder.ToResult(elapsed, capReached: stop.IsCancellationRequested);
    }

    /// <summary>Each client runs one run after another; with a ramp, client i joins at i/N of it.</summary>
    private async Task RunClosedAsync(PhaseRecorder recorder, int maxRuns, CancellationToken stop)
    {
        var claimed = 0;
        var clients = new Task[profile.Clients];
        for (var i = 0; i < clients.Length; i++)
        {
            var joinAfter = profile.Ramp * i / clients.Length;
            clients[i] = Task.Run(async () =>
            {
                await Task.Delay(joinAfter, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                while (!stop.IsCancellationRequested && Interlocked.Increment(ref claimed) <= maxRuns)
                {
                    await RunOnceAsync(recorder, stop);
                }
            }, CancellationToken.None);
        }
        await Task.WhenAll(clients);
    }

    /// <summary>
    /// Each client is a user in one conversation after another: a session of <see cref="LoadProfile.TurnsPerSession"/>
    /// turns, thinking between turns for an exponentially distributed time (mean <see cref="LoadProfile.ThinkMean"/>,
    /// at most ten times it), as people do. A run is one turn, from the request that starts it (the create, or the next
    /// message) to its end on the stream. Users join over the ramp, each after a random part of a think time, so they
    /// do not move in step.
    /// </summary>
    private async Task RunConversationsAsync(PhaseRecorder recorder, int maxRuns, CancellationToken stop)
    {
        var claimed = 0;
        var users = new Task[profile.Clients];
        for (var i = 0; i < users.Length; i++)
        {
            var joinAfter = (profile.Ramp * i / users.Length) + ThinkTime();
            users[i] = Task.Run(async () =>
            {
                await Task.Delay(joinAfter, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                var gateway = Interlocked.Increment(ref _nextGateway);
                while (!stop.IsCancellationRequested)
                {
                    var session = new SessionPosition { Gateway = gateway };
                    for (var turn = 1; turn <= profile.TurnsPerSession && !stop.IsCancellationRequested; turn++)
                    {
                        if (Interlocked.Increment(ref claimed) > maxRuns || !await TurnAsync(recorder, session, stop))
                        {
                            break;
                        }
                        gateway = session.Gateway;
                        await Task.Delay(ThinkTime(), stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    }
                    if (Volatile.Read(ref claimed) > maxRuns)
                    {
                        return;
                    }
                }
            }, CancellationToken.None);
        }
        await Task.WhenAll(users);
    }

    /// <summary>An exponentially distributed think time with mean <see cref="LoadProfile.ThinkMean"/>, at most ten times it.</summary>
    private TimeSpan ThinkTime() =>
        profile.ThinkMean <= TimeSpan.Zero ? TimeSpan.Zero : profile.ThinkMean * Math.Min(-Math.Log(1 - Random.Shared.NextDouble()), 10);

    /// <summary>
    /// Runs start at <see cref="LoadProfile.Rate"/> per second whatever the answers' latency (climbing from zero over
    /// the ramp), at most <see cref="LoadProfile.Clients"/> at once: an arrival that finds every client busy is
    /// counted as <see cref="NotStarted"/>, the sign of a saturated server.
    /// </summary>
    private async Task RunOpenAsync(PhaseRecorder recorder, int maxRuns, CancellationToken stop)
    {
        using var slots = new SemaphoreSlim(profile.Clients);
        var running = new List<Task>();
        var started = Stopwatch.GetTimestamp();
        var arrivals = 0.0;
        for (var launched = 0; launched < maxRuns && !stop.IsCancellationRequested;)
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var ramp = profile.Ramp.TotalSeconds;
            // Arrivals due by now: the integral of a rate that climbs linearly over the ramp, then stays.
            var due = ramp > 0 && elapsed < ramp ? profile.Rate * elapsed * elapsed / (2 * ramp) : profile.Rate * (elapsed - (ramp / 2));
            for (; arrivals < due && launched < maxRuns; arrivals++, launched++)
            {
                if (!slots.Wait(0, CancellationToken.None))
                {
                    recorder.Error(NotStarted, $"{profile.Clients} runs were in flight at {elapsed:0.0} s");
                    continue;
                }
                running.Add(RunReleasingAsync(recorder, slots, stop));
            }
            running.RemoveAll(t => t.IsCompleted);
            await Task.Delay(1, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await Task.WhenAll(running);
    }

    private async Task RunReleasingAsync(PhaseRecorder recorder, SemaphoreSlim slots, CancellationToken stop)
    {
        try
        {
            await Task.Yield();
            await RunOnceAsync(recorder, stop);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>A line a second on standard error: runs so far, the last second's rate, errors.</summary>
    private static PeriodicTimer ReportProgress(PhaseRecorder recorder, long started, CancellationToken stop)
    {
        var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        _ = Task.Run(async () =>
        {
            var before = 0;
            while (await timer.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
            {
                var (completed, errors) = recorder.Progress;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"bench: {Stopwatch.GetElapsedTime(started).TotalSeconds,5:0} s  {completed,7} runs  {completed - before,5}/s  {errors} errors"));
                before = completed;
            }
        }, CancellationToken.None);
        return timer;
    }

    private Task RunOnceAsync(PhaseRecorder recorder, CancellationToken stop) =>
        profile.ReadPath is { } path ? ReadOnceAsync(recorder, path, stop) : TurnAsync(recorder, new SessionPosition { Gateway = Interlocked.Increment(ref _nextGateway) }, stop);

    /// <summary>One GET of <paramref name="path"/>: a plain API read, for the gateway's own overhead.</summary>
    private async Task ReadOnceAsync(PhaseRecorder recorder, string path, CancellationToken stop)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stop);
        run.CancelAfter(profile.RunTimeout);
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative), HttpCompletionOption.ResponseContentRead, run.Token);
            var took = Stopwatch.GetTimestamp() - start;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                recorder.Error($"read answered {(int)response.StatusCode}", await response.Content.ReadAsStringAsync(run.Token));
                return;
            }
            recorder.Completed(took, took, 0, TimeSpan.Zero);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            recorder.CutByCap();
        }
        catch (OperationCanceledException)
        {
            recorder.Error("read timed out", $"{path}: no answer within {profile.RunTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex)
        {
            recorder.Error("read transport error", $"{path}: {ex.Message}");
        }
    }

    /// <summary>
    /// One agent turn: a new session (when <paramref name="session"/> has none yet) or the session's next message, then
    /// its stream from the last event seen to the turn's end. True when the turn completed, so the session can go on
    /// (<paramref name="session"/> is then at its last event), even if the run is counted as an error (a late stream, a
    /// wrong answer); false when it did not. A <see cref="LoadProfile.Resilient"/> client retries the create
    /// (with an <c>Idempotency-Key</c>, so a retry cannot open a second session) and reconnects a broken stream from the
    /// last event it saw.
    /// </summary>
    private async Task<bool> TurnAsync(PhaseRecorder recorder, SessionPosition session, CancellationToken stop)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stop);
        run.CancelAfter(profile.RunTimeout);
        var stage = session.Id is null ? "create" : "message";
        var sessionId = session.Id;
        var start = Stopwatch.GetTimestamp();
        try
        {
            if (sessionId is null)
            {
                sessionId = await CreateAsync(recorder, session, run.Token);
                if (sessionId is null)
                {
                    return false;
                }
            }
            else
            {
                HttpResponseMessage posted;
                try
                {
                    posted = await PostMessageAsync(session, sessionId, run.Token);
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                {
                    // No answer: the message may have been stored or not.
                    profile.Ledger?.Unsure(sessionId);
                    throw;
                }
                using (posted)
                {
                    if (posted.StatusCode != HttpStatusCode.Accepted)
                    {
                        if ((int)posted.StatusCode >= 500)
                        {
                            profile.Ledger?.Unsure(sessionId);
                        }
                        recorder.Error($"message answered {(int)posted.StatusCode}", $"session {sessionId}: {await posted.Content.ReadAsStringAsync(run.Token)}");
                        return false;
                    }
                    profile.Ledger?.Accepted(sessionId);
                }
            }
            var createdAt = Stopwatch.GetTimestamp();

            stage = "stream";
            var after = session.LastSequence;
            var stream = new TurnStream(after + 1, sessionId, profile.Ledger);
            while (true)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/sessions/{sessionId}/events{(stream.Expected > 1 ? $"?after={stream.Expected - 1}" : "")}", UriKind.Relative));
                    request.Headers.Accept.ParseAdd("text/event-stream");
                    using var response = await Gateway(session).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, run.Token);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        if (profile.Resilient && (int)response.StatusCode >= 500)
                        {
                            await Task.Delay(RetryPause, run.Token);
                            continue;
                        }
                        recorder.Error($"events answered {(int)response.StatusCode}", $"session {sessionId}: {await response.Content.ReadAsStringAsync(run.Token)}");
                        return false;
                    }

                    await using var body = await response.Content.ReadAsStreamAsync(run.Token);
                    await foreach (var item in SseParser.Create(body).EnumerateAsync(run.Token))
                    {
                        if (!stream.Add(item))
                        {
                            recorder.Error("sequence gap", $"session {sessionId}: expected id {stream.Expected}, got '{item.EventId}' ({item.EventType})");
                            return false;
                        }
                    }
                }
                catch (Exception ex) when (profile.Resilient && ex is HttpRequestException or IOException && !run.IsCancellationRequested)
                {
                    // The stream broke (a restarting server, a dropped connection, a replica gone): reconnect after the
                    // last event seen, through the next replica.
                    session.Gateway++;
                }
                if (stream.Ended || !profile.Resilient)
                {
                    break;
                }
                await Task.Delay(RetryPause, run.Token);
            }
            var finished = Stopwatch.GetTimestamp();
            var closedAt = DateTime.UtcNow;

            if (stream.Events == 0)
            {
                recorder.Error("empty stream", $"session {sessionId}: the stream ended without an event");
                return false;
            }
            var last = stream.Last;
            var status = last.EventType == StatusEventType ? ReadData(last.Data, "status") : null;
            if (status != CompletedStatus)
            {
                recorder.Error(status is null ? "not completed" : $"turn {status}", $"session {sessionId}: last event #{last.EventId} is {last.EventType} with status '{status}' ({ReadData(last.Data, "reason")})");
                return false;
            }
            // The turn completed: whatever is wrong with it from here on is counted, and the user goes on in the session
            // (a person whose answer came late, or wrong, does not open a new session over it).
            session.Id = sessionId;
            session.LastSequence = stream.Expected - 1;
            if (profile.Expect is { } expect && stream.Answer?.Contains(expect, StringComparison.Ordinal) != true)
            {
                recorder.Error(WrongAnswer, $"session {sessionId}: '{expect}' is not in the answer \"{stream.Answer}\"");
                return true;
            }
            if (stream.RunningAt - stream.FirstAt > profile.MaxHopWait)
            {
                recorder.Error(LateStart, $"session {sessionId}: the turn started running {(stream.RunningAt - stream.FirstAt)?.TotalSeconds:0.0} s after it was created");
                return true;
            }
            if (stream.ToolWait > profile.MaxHopWait)
            {
                recorder.Error(LateToolResult, $"session {sessionId}: a tool result came {stream.ToolWait.TotalSeconds:0.0} s after its call");
                return true;
            }
            var lag = closedAt - ReadCreatedAt(last.Data);
            if (lag > profile.MaxStreamLag)
            {
                recorder.Error(LateStream, $"session {sessionId}: the stream closed {lag.TotalSeconds:0.0} s after the turn ended");
                return true;
            }
            recorder.Completed(createdAt - start, finished - start, stream.Events, lag);
            Interlocked.Increment(ref _runsByGateway[session.Gateway % _gateways.Count]);
            return true;
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
        return false;
    }

    /// <summary>How long a resilient client waits before it tries again.</summary>
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// <c>POST /v1/sessions</c>; the new session's id, or null after recording why not. A resilient client sends an
    /// <c>Idempotency-Key</c> and tries again, with the same key, when the answer is a server error or never comes.
    /// </summary>
    private async Task<string?> CreateAsync(PhaseRecorder recorder, SessionPosition session, CancellationToken cancellationToken)
    {
        var key = profile.Resilient ? Guid.NewGuid().ToString("N") : null;
        for (var attempt = 1; ; attempt++)
        {
            var retry = profile.Resilient && attempt < 20;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/sessions", UriKind.Relative))
                {
                    Content = JsonContent.Create(new CreateRequest(profile.Input), BenchJsonContext.Default.CreateRequest),
                };
                if (key is not null)
                {
                    request.Headers.Add("Idempotency-Key", key);
                }
                using var created = await Gateway(session).SendAsync(request, cancellationToken);
                if (created.StatusCode == HttpStatusCode.Created)
                {
                    var id = await ReadIdAsync(created, cancellationToken);
                    profile.Ledger?.Accepted(id);
                    return id;
                }
                if (!retry || (int)created.StatusCode < 500)
                {
                    recorder.Error($"create answered {(int)created.StatusCode}", await created.Content.ReadAsStringAsync(cancellationToken));
                    return null;
                }
            }
            catch (HttpRequestException) when (retry)
            {
                session.Gateway++;
            }
            await Task.Delay(RetryPause, cancellationToken);
        }
    }

    /// <summary>What a turn's stream showed so far, across reconnects: the next id due, the last event, the answer, the hops' timing.</summary>
    private sealed class TurnStream(long firstExpected, string sessionId, SessionLedger? ledger)
    {
        private readonly Dictionary<string, DateTime> _calls = new(StringComparer.Ordinal);

        public long Expected { get; private set; } = firstExpected;

        public int Events { get; private set; }

        public SseItem<string> Last { get; private set; }

        public string? Answer { get; private set; }

        public DateTime? FirstAt { get; private set; }

        public DateTime? RunningAt { get; private set; }

        public TimeSpan ToolWait { get; private set; }

        /// <summary>Whether the last event ends the turn (a <c>status</c> of completed, failed or cancelled).</summary>
        public bool Ended => Events > 0 && Last.EventType == StatusEventType && SessionStatus.IsEnded(ReadData(Last.Data, "status") ?? "");

        /// <summary>Takes the next event; false when its id is not the one due.</summary>
        public bool Add(SseItem<string> item)
        {
            if (!long.TryParse(item.EventId, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) || sequence != Expected)
            {
                return false;
            }
            Expected++;
            Events++;
            Last = item;
            ledger?.Seen(sessionId, sequence, item.Data);
            FirstAt ??= ReadCreatedAt(item.Data);
            switch (item.EventType)
            {
                case StatusEventType when RunningAt is null && ReadData(item.Data, "status") == RunningStatus:
                    RunningAt = ReadCreatedAt(item.Data);
                    break;
                case AnswerEventType:
                    Answer = ReadData(item.Data, "content");
                    break;
                case ToolCallEventType when ReadData(item.Data, "call_id") is { } call:
                    _calls[call] = ReadCreatedAt(item.Data);
                    break;
                case ToolResultEventType when ReadData(item.Data, "call_id") is { } call && _calls.TryGetValue(call, out var askedAt):
                    var waited = ReadCreatedAt(item.Data) - askedAt;
                    ToolWait = waited > ToolWait ? waited : ToolWait;
                    break;
            }
            return true;
        }
    }

    /// <summary>
    /// <c>POST /v1/sessions/{id}/messages</c>. A resilient client whose replica refuses the connection (so the request
    /// was never sent) sends it through the next replica instead.
    /// </summary>
    private async Task<HttpResponseMessage> PostMessageAsync(SessionPosition session, string sessionId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Gateway(session).PostAsJsonAsync(new Uri($"v1/sessions/{sessionId}/messages", UriKind.Relative), new CreateRequest(profile.Input), BenchJsonContext.Default.CreateRequest, cancellationToken);
            }
            catch (HttpRequestException ex) when (profile.Resilient && ex.HttpRequestError == HttpRequestError.ConnectionError && attempt < _gateways.Count * 3)
            {
                session.Gateway++;
                await Task.Delay(RetryPause, cancellationToken);
            }
        }
    }

    private HttpClient Gateway(SessionPosition session) => _gateways[session.Gateway % _gateways.Count];

    /// <summary>A user's session, the last event of it the user has seen, and the gateway replica the user talks to.</summary>
    private sealed class SessionPosition
    {
        public string? Id { get; set; }
        public long LastSequence { get; set; }
        public int Gateway { get; set; }
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

/// <summary>How a phase's runs arrive.</summary>
internal enum Arrival
{
    /// <summary>A fixed number of clients, each starting its next run when its last one ends.</summary>
    Closed,

    /// <summary>A fixed rate of new runs, however long they take (what users of a public API do).</summary>
    Open,

    /// <summary>A fixed number of users, each in multi-turn sessions with think time between turns (what people at a chat do).</summary>
    Conversation,
}
