using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Tests.Gateway;

/// <summary>A gateway restart keeps every session and event, and resumes the turns that were in flight.</summary>
public sealed class RestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_restarted_gateway_serves_the_same_sessions_and_events()
    {
        JsonElement before;
        string file;
        Guid id;
        await using (var first = new GatewayApp())
        {
            file = first.DatabaseFile;
            id = await first.CreateSessionAsync(new { input = "What is 2^10?" }, Ct);
            before = await first.WaitForEndAsync(id, Ct);
        }

        await using var second = new GatewayApp(file);
        using var client = second.CreateClient();
        var after = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", Ct);

        after.GetProperty("output").GetString().ShouldBe(before.GetProperty("output").GetString());
        after.GetProperty("events").GetRawText().ShouldBe(before.GetProperty("events").GetRawText());
        after.GetProperty("messages").GetRawText().ShouldBe(before.GetProperty("messages").GetRawText());
    }

    [Fact]
    public async Task A_turn_running_at_shutdown_is_handed_over_and_completes_at_the_next_start_with_every_event_once()
    {
        const string input = "a long answer please, with many many words in it";
        string file;
        Guid id;
        var slow = new Dictionary<string, string?> { ["SomaAgent:Models:Simulated:TimePerTokenMs"] = "50" };
        await using (var first = new GatewayApp(settings: slow))
        {
            file = first.DatabaseFile;
            id = await first.CreateSessionAsync(new { input }, Ct);
            await first.WaitForOutputAsync(id, Ct, timeout: TimeSpan.FromSeconds(4));
        }

        await using var second = new GatewayApp(file);
        var session = await second.WaitForEndAsync(id, Ct);
        var uninterrupted = await second.WaitForEndAsync(await second.CreateSessionAsync(new { input }, Ct), Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString().ShouldBe(uninterrupted.GetProperty("output").GetString());
        var events = session.GetProperty("events").EnumerateArray().ToList();
        events.Select(e => e.GetProperty("sequence").GetInt64()).ShouldBe(Enumerable.Range(1, events.Count).Select(i => (long)i));
        var resumed = events.Single(e => e.GetProperty("type").GetString() == "turn.resumed").GetProperty("data");
        resumed.GetProperty("attempt").GetInt32().ShouldBe(2);
    }

    [Fact]
    public async Task A_turn_left_running_by_a_crash_is_resumed_at_the_next_start()
    {
        var (file, id) = await CreateCompletedSessionAsync();
        await SetStatusAsync(file, id, "running");

        await using var restarted = new GatewayApp(file);
        var session = await restarted.WaitForEndAsync(id, Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
        var types = session.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        types.ShouldContain("turn.resumed");
        types[^1].ShouldBe("status");
    }

    [Fact]
    public async Task A_turn_whose_workers_keep_stopping_ends_failed_with_the_reason()
    {
        var (file, id) = await CreateCompletedSessionAsync();
        await using (var db = Open(file))
        {
            // Three workers took the turn and none finished it (the default MaxTurnAttempts is 3).
            await db.Sessions.Where(s => s.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, "running")
                .SetProperty(x => x.TurnAttempts, 3), Ct);
        }

        await using var restarted = new GatewayApp(file);
        var session = await restarted.WaitForEndAsync(id, Ct);

        session.GetProperty("status").GetString().ShouldBe("failed");
        session.GetProperty("status_reason").GetString().ShouldBe("interrupted: the turn was started 3 times and its worker stopped each time");
        var last = session.GetProperty("events").EnumerateArray().Last();
        last.GetProperty("data").GetProperty("status").GetString().ShouldBe("failed");
    }

    [Fact]
    public async Task A_turn_left_queued_by_a_crash_runs_at_the_next_start()
    {
        var (file, id) = await CreateCompletedSessionAsync();
        await using (var db = Open(file))
        {
            // What a crash between storing a new turn and publishing it leaves behind.
            await db.Sessions.Where(s => s.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, "queued"), Ct);
        }

        await using var restarted = new GatewayApp(file);
        var session = await restarted.WaitForEndAsync(id, Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
    }

    private static async Task<(string File, Guid Id)> CreateCompletedSessionAsync()
    {
        await using var app = new GatewayApp();
        var id = await app.CreateSessionAsync(new { input = "hello" }, Ct);
        await app.WaitForEndAsync(id, Ct);
        return (app.DatabaseFile, id);
    }

    private static async Task SetStatusAsync(string file, Guid id, string status)
    {
        await using var db = Open(file);
        await db.Sessions.Where(s => s.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, status), Ct);
    }

    private static SqliteSessionDbContext Open(string file) =>
        new(new DbContextOptionsBuilder<SqliteSessionDbContext>().UseSqlite($"Data Source={file}").Options);
}
