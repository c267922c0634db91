using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Storage;

namespace SomaAgent.Tests.Gateway;

/// <summary>A gateway restart keeps every session and event, and settles the turns that were in flight.</summary>
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
    public async Task A_turn_running_at_shutdown_ends_failed_with_the_reason_and_keeps_its_partial_output()
    {
        string file;
        Guid id;
        var slow = new Dictionary<string, string?> { ["SomaAgent:Models:Simulated:TimePerTokenMs"] = "50" };
        await using (var first = new GatewayApp(settings: slow))
        {
            file = first.DatabaseFile;
            id = await first.CreateSessionAsync(new { input = "a long answer please, with many many words in it" }, Ct);
            await WaitForOutputAsync(first, id);
        }

        await using var second = new GatewayApp(file);
        var session = await second.WaitForEndAsync(id, Ct);

        session.GetProperty("status").GetString().ShouldBe("failed");
        session.GetProperty("status_reason").GetString()!.ShouldContain("interrupted");
        session.GetProperty("output").GetString().ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_turn_left_running_by_a_crash_ends_failed_at_the_next_start()
    {
        var (file, id) = await CreateCompletedSessionAsync();
        await SetStatusAsync(file, id, "running");

        await using var restarted = new GatewayApp(file);
        var session = await restarted.WaitForEndAsync(id, Ct);

        session.GetProperty("status").GetString().ShouldBe("failed");
        session.GetProperty("status_reason").GetString().ShouldBe("interrupted: the worker stopped while the turn was running");
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

    private static async Task WaitForOutputAsync(GatewayApp app, Guid id)
    {
        using var client = app.CreateClient();
        for (var i = 0; i < 200; i++)
        {
            var session = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", Ct);
            if (session.GetProperty("output").GetString() is { Length: > 0 })
            {
                return;
            }
            await Task.Delay(20, Ct);
        }
        throw new TimeoutException("The turn never produced output.");
    }
}
