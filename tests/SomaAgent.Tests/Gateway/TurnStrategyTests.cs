using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SomaAgent.Tests.Gateway;

/// <summary>A message posted while a turn runs: 409 by default, queued with ?strategy=enqueue, or interrupting with ?strategy=interrupt.</summary>
public sealed class TurnStrategyTests : IAsyncLifetime
{
    private const string LongInput = GatewayApp.LongInput;
    private readonly GatewayApp _app = GatewayApp.SlowModel();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task By_default_a_message_posted_while_a_turn_runs_is_refused_with_409_naming_the_strategies()
    {
        var id = await StartLongTurnAsync();
        using var client = _app.CreateClient();

        using var response = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = "and then?" }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("type").GetString().ShouldBe("urn:somaagent:problem:turn-in-progress");
        problem.GetProperty("detail").GetString()!.ShouldContain("strategy=enqueue");
    }

    [Fact]
    public async Task With_enqueue_the_message_waits_and_becomes_the_next_turn_once_the_running_one_completes()
    {
        var id = await StartLongTurnAsync();
        using var client = _app.CreateClient();

        using var response = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages?strategy=enqueue", new { input = "What is 6*7?" }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        accepted.GetProperty("status").GetString().ShouldBe("queued");
        accepted.GetProperty("turn").GetInt32().ShouldBe(2);
        accepted.GetProperty("queue_position").GetInt32().ShouldBe(1);
        var session = await _app.WaitForEndAsync(id, Ct, turn: 2, timeout: TimeSpan.FromSeconds(30));
        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString().ShouldBe("6*7 = 42.");
        var firstTurnEnd = session.GetProperty("events").EnumerateArray()
            .Last(e => e.GetProperty("turn").GetInt32() == 1 && e.GetProperty("type").GetString() == "status");
        firstTurnEnd.GetProperty("data").GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("messages").EnumerateArray()
            .Single(m => m.GetProperty("turn").GetInt32() == 2 && m.GetProperty("role").GetString() == "user")
            .GetProperty("content").GetString().ShouldBe("What is 6*7?");
    }

    [Fact]
    public async Task Enqueued_messages_run_as_turns_in_the_order_they_were_posted()
    {
        var id = await StartLongTurnAsync();
        using var client = _app.CreateClient();

        using var first = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages?strategy=enqueue", new { input = "What is 1+1?" }, Ct);
        using var second = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages?strategy=enqueue", new { input = "What is 2+2?" }, Ct);

        (await second.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("queue_position").GetInt32().ShouldBe(2);
        var session = await _app.WaitForEndAsync(id, Ct, turn: 3, timeout: TimeSpan.FromSeconds(30));
        session.GetProperty("output").GetString().ShouldBe("2+2 = 4.");
        session.GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("role").GetString() == "user")
            .Select(m => (m.GetProperty("turn").GetInt32(), m.GetProperty("content").GetString()))
            .ShouldBe([(1, LongInput), (2, "What is 1+1?"), (3, "What is 2+2?")]);
    }

    [Fact]
    public async Task With_interrupt_the_running_turn_is_cancelled_and_the_message_runs_next()
    {
        var id = await StartLongTurnAsync();
        using var client = _app.CreateClient();

        using var response = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages?strategy=interrupt", new { input = "What is 6*7?" }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var session = await _app.WaitForEndAsync(id, Ct, turn: 2, timeout: TimeSpan.FromSeconds(30));
        session.GetProperty("output").GetString().ShouldBe("6*7 = 42.");
        var firstTurnEnd = session.GetProperty("events").EnumerateArray()
            .Last(e => e.GetProperty("turn").GetInt32() == 1 && e.GetProperty("type").GetString() == "status")
            .GetProperty("data");
        firstTurnEnd.GetProperty("status").GetString().ShouldBe("cancelled");
        firstTurnEnd.GetProperty("reason").GetString().ShouldBe("cancelled by the client");
    }

    [Fact]
    public async Task With_enqueue_on_an_idle_session_the_turn_starts_at_once()
    {
        var id = await _app.CreateSessionAsync(new { input = "hi" }, Ct);
        await _app.WaitForEndAsync(id, Ct);
        using var client = _app.CreateClient();

        using var response = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages?strategy=enqueue", new { input = "What is 6*7?" }, Ct);

        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        accepted.GetProperty("turn").GetInt32().ShouldBe(2);
        (!accepted.TryGetProperty("queue_position", out var position) || position.ValueKind == JsonValueKind.Null).ShouldBeTrue();
        (await _app.WaitForEndAsync(id, Ct, turn: 2)).GetProperty("output").GetString().ShouldBe("6*7 = 42.");
    }

    [Fact]
    public async Task An_unknown_strategy_is_a_400_naming_the_allowed_ones()
    {
        var id = await _app.CreateSessionAsync(new { input = "hi" }, Ct);
        using var client = _app.CreateClient();

        using var response = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages?strategy=later", new { input = "x" }, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("detail").GetString()!.ShouldContain("reject, enqueue or interrupt");
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private async Task<Guid> StartLongTurnAsync()
    {
        var id = await _app.CreateSessionAsync(new { input = LongInput }, Ct);
        await _app.WaitForOutputAsync(id, Ct);
        return id;
    }
}
