using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Gateway.Sessions;

namespace SomaAgent.Tests.Gateway;

/// <summary>Server-Sent Events: ids are sequences, types are event types, reconnects resume exactly.</summary>
public sealed class EventStreamTests : IAsyncLifetime
{
    // A model slow enough that a client can connect, read some events and drop mid-turn.
    private readonly GatewayApp _app = GatewayApp.SlowModel();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stream_carries_every_event_with_its_sequence_as_id_and_type_as_event_then_ends()
    {
        var id = await _app.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        using var client = _app.CreateClient();

        using var response = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = await SseReader.ReadAllAsync(await response.Content.ReadAsStreamAsync(Ct), Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        events.Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ShouldBe(Enumerable.Range(1, events.Count).Select(i => (long)i));
        events.ShouldAllBe(e => e.Type == e.Data.GetProperty("type").GetString());
        events.Select(e => e.Type).ShouldContain("tool.call");
        events.Select(e => e.Type).ShouldContain("message.delta");
        var last = events[^1];
        last.Type.ShouldBe("status");
        last.Data.GetProperty("data").GetProperty("status").GetString().ShouldBe("completed");
    }

    [Fact]
    public async Task The_first_stream_of_a_turn_starts_from_what_the_gateway_kept_and_matches_the_store()
    {
        var kept = _app.Services.GetRequiredService<StartedTurnEvents>();
        var id = await _app.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        var stored = (await _app.WaitForEndAsync(id, Ct)).GetProperty("events").EnumerateArray().Select(e => e.GetRawText()).ToList();
        kept.Count.ShouldBe(1);
        using var client = _app.CreateClient();

        using var response = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct);
        var streamed = await SseReader.ReadAllAsync(await response.Content.ReadAsStreamAsync(Ct), Ct);

        kept.Count.ShouldBe(0, "the first stream takes the kept events");
        streamed.Select(e => e.Data.GetRawText()).ShouldBe(stored);
    }

    [Fact]
    public async Task The_stream_of_a_next_turn_from_the_last_event_seen_starts_from_what_the_gateway_kept()
    {
        var kept = _app.Services.GetRequiredService<StartedTurnEvents>();
        var id = await _app.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        using var client = _app.CreateClient();
        using (var first = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            await SseReader.ReadAllAsync(await first.Content.ReadAsStreamAsync(Ct), Ct);
        }
        var lastSeen = (await _app.WaitForEndAsync(id, Ct)).GetProperty("events").GetArrayLength();

        using var posted = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "And 2+2?" }, Ct);
        posted.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var stored = (await _app.WaitForEndAsync(id, Ct, turn: 2)).GetProperty("events").EnumerateArray().Skip(lastSeen).Select(e => e.GetRawText()).ToList();
        kept.Count.ShouldBe(1);
        using var response = await client.GetAsync($"/v1/sessions/{id}/events?after={lastSeen}", HttpCompletionOption.ResponseHeadersRead, Ct);
        var streamed = await SseReader.ReadAllAsync(await response.Content.ReadAsStreamAsync(Ct), Ct);

        kept.Count.ShouldBe(0, "the turn's first stream takes the kept events");
        streamed.Select(e => e.Data.GetRawText()).ShouldBe(stored);
        streamed[0].Data.GetProperty("turn").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task A_reconnect_with_Last_Event_ID_gets_exactly_the_events_after_it()
    {
        var id = await _app.CreateSessionAsync(new { input = "Tell me a story about a very patient robot who waits for the bus" }, Ct);
        using var client = _app.CreateClient();

        // First connection: read four events, then drop it mid-turn.
        var firstPart = new List<SseEvent>();
        using (var response = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            await foreach (var item in SseReader.ReadAsync(await response.Content.ReadAsStreamAsync(Ct), Ct))
            {
                firstPart.Add(item);
                if (firstPart.Count == 4)
                {
                    break;
                }
            }
        }
        var session = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", Ct);
        session.GetProperty("status").GetString().ShouldBe("running", "the turn should still be streaming when the client drops");

        using var resume = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}/events");
        resume.Headers.Add("Last-Event-ID", firstPart[^1].Id);
        using var resumed = await client.SendAsync(resume, HttpCompletionOption.ResponseHeadersRead, Ct);
        var rest = await SseReader.ReadAllAsync(await resumed.Content.ReadAsStreamAsync(Ct), Ct);

        var all = firstPart.Concat(rest).Select(e => long.Parse(e.Id!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        all.ShouldBe(Enumerable.Range(1, all.Count).Select(i => (long)i), "no event lost or repeated across the reconnect");
        var stored = (await _app.WaitForEndAsync(id, Ct)).GetProperty("events").GetArrayLength();
        all.Count.ShouldBe(stored);
        rest[^1].Data.GetProperty("data").GetProperty("status").GetString().ShouldBe("completed");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(null)]
    public async Task An_ended_session_replays_the_events_after_Last_Event_ID_and_closes_at_once(int? lastEventId)
    {
        var id = await _app.CreateSessionAsync(new { input = "hi" }, Ct);
        var total = (await _app.WaitForEndAsync(id, Ct)).GetProperty("events").GetArrayLength();
        var seen = lastEventId ?? total; // null: the client has every event already
        using var client = _app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/sessions/{id}/events");
        request.Headers.Add("Last-Event-ID", seen.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = await SseReader.ReadAllAsync(await response.Content.ReadAsStreamAsync(Ct), Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct);

        events.Select(e => e.Id).ShouldBe(Enumerable.Range(seen + 1, total - seen).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task A_following_stream_stays_open_between_turns_and_carries_the_next_turn()
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?> { ["SomaAgent:Gateway:StreamIdleSeconds"] = "1" });
        var id = await app.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        using var client = app.CreateClient();
        using var response = await client.GetAsync($"/v1/sessions/{id}/events?follow=true", HttpCompletionOption.ResponseHeadersRead, Ct);
        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        var events = SseReader.ReadAsync(body, Ct).GetAsyncEnumerator(Ct);
        var seen = new List<SseEvent>();
        async Task ReadTurnAsync()
        {
            while (await events.MoveNextAsync())
            {
                seen.Add(events.Current);
                if (events.Current.Type == "status" && events.Current.Data.GetProperty("data").GetProperty("status").GetString() == "completed")
                {
                    return;
                }
            }
            throw new InvalidOperationException("the following stream closed");
        }

        await ReadTurnAsync().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await Task.Delay(TimeSpan.FromSeconds(2.5), Ct); // quiet spells: keep-alives, the stream stays open
        using var posted = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "And 2+2?" }, Ct);
        posted.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await ReadTurnAsync().WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await events.DisposeAsync();

        var stored = (await app.WaitForEndAsync(id, Ct, turn: 2)).GetProperty("events").EnumerateArray().Select(e => e.GetRawText()).ToList();
        seen.Select(e => e.Data.GetRawText()).ShouldBe(stored, "both turns, every event once, in order");
        seen[^1].Data.GetProperty("turn").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task A_quiet_spell_gets_keep_alive_comments_that_clients_ignore()
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["SomaAgent:Gateway:StreamIdleSeconds"] = "1",
            ["SomaAgent:Models:Simulated:TimeToFirstTokenMs"] = "2500",
        });
        var id = await app.CreateSessionAsync(new { input = "hi" }, Ct);
        using var client = app.CreateClient();

        using var response = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct);
        var raw = await response.Content.ReadAsStringAsync(Ct);

        raw.ShouldContain("\n: keep-alive\n\n");
        response.Headers.CacheControl!.NoCache.ShouldBeTrue();
        var events = await SseReader.ReadAllAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(raw)), Ct);
        events[^1].Data.GetProperty("data").GetProperty("status").GetString().ShouldBe("completed");
    }

    [Fact]
    public async Task Get_with_after_returns_only_later_events()
    {
        var id = await _app.CreateSessionAsync(new { input = "hi" }, Ct);
        await _app.WaitForEndAsync(id, Ct);
        using var client = _app.CreateClient();

        var session = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}?after=3", Ct);

        var sequences = session.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        sequences.ShouldNotBeEmpty();
        sequences[0].ShouldBe(4);
        session.GetProperty("messages").GetArrayLength().ShouldBe(2, "the transcript is always whole");
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
