using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SomaAgent.Tests.Gateway;

/// <summary>Multi-turn sessions and cancellation, with a model slow enough to be caught mid-stream.</summary>
public sealed class TurnTests : IAsyncLifetime
{
    private const string LongInput = GatewayApp.LongInput;
    private readonly GatewayApp _app = GatewayApp.SlowModel();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cancel_mid_stream_ends_the_turn_cancelled_and_keeps_the_partial_output()
    {
        var id = await _app.CreateSessionAsync(new { input = LongInput }, Ct);
        using var client = _app.CreateClient();
        using var stream = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct);
        var events = new List<SseEvent>();
        HttpResponseMessage? cancel = null;

        await foreach (var item in SseReader.ReadAsync(await stream.Content.ReadAsStreamAsync(Ct), Ct))
        {
            events.Add(item);
            if (cancel is null && events.Count(e => e.Type == "message.delta") == 3)
            {
                cancel = await client.PostAsync($"/v1/sessions/{id}/cancel", null, Ct);
            }
        }

        cancel.ShouldNotBeNull().StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var end = events[^1].Data.GetProperty("data");
        end.GetProperty("status").GetString().ShouldBe("cancelled");
        end.GetProperty("reason").GetString().ShouldBe("cancelled by the client");
        var session = await _app.WaitForEndAsync(id, Ct);
        var output = session.GetProperty("output").GetString()!;
        var streamed = string.Concat(events.Where(e => e.Type == "message.delta").Select(e => e.Data.GetProperty("data").GetProperty("content").GetString()));
        output.ShouldBe(streamed);
        output.Length.ShouldBeGreaterThan(0);
        output.ShouldNotContain("remember something", Case.Sensitive, "the answer was cut short");
        session.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString().ShouldBe(output);
    }

    [Fact]
    public async Task Cancelling_an_ended_turn_answers_409()
    {
        var id = await _app.CreateSessionAsync(new { input = "hi" }, Ct);
        await _app.WaitForEndAsync(id, Ct);
        using var client = _app.CreateClient();

        using var response = await client.PostAsync($"/v1/sessions/{id}/cancel", null, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("type").GetString().ShouldBe("urn:somaagent:problem:turn-not-running");
        problem.GetProperty("detail").GetString()!.ShouldContain("completed");
    }

    [Fact]
    public async Task A_message_after_the_turn_ended_starts_the_next_turn_with_the_whole_transcript()
    {
        var id = await _app.CreateSessionAsync(new { input = "remember my color is blue" }, Ct);
        await _app.WaitForEndAsync(id, Ct);
        using var client = _app.CreateClient();

        using var accepted = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "what is my color?" }, Ct);
        var session = await _app.WaitForEndAsync(id, Ct, turn: 2);

        accepted.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var body = await accepted.Content.ReadFromJsonAsync<JsonElement>(Ct);
        body.GetProperty("turn").GetInt32().ShouldBe(2);
        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString().ShouldBe("Your color is blue.", "output is the latest turn's text only");
        var roles = session.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()).ToList();
        roles.ShouldBe(["user", "assistant", "tool", "assistant", "user", "assistant", "tool", "assistant"]);
    }

    [Fact]
    public async Task Sessions_are_listed_newest_first_in_pages()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await _app.CreateSessionAsync(new { input = $"page test {i}" }, Ct));
        }
        using var client = _app.CreateClient();

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions?limit=2{(cursor is null ? "" : $"&cursor={cursor}")}", Ct);
            page.GetProperty("data").GetArrayLength().ShouldBeLessThanOrEqualTo(2);
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);

        seen.Where(ids.Contains).ShouldBe(Enumerable.Reverse(ids));
        seen.Distinct().Count().ShouldBe(seen.Count);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
