using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SomaAgent.Runtime.Storage;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Storage;

/// <summary>
/// What the session store must do, run against each provider through the real gateway: SQLite (embedded)
/// and a real PostgreSQL server. Each test gets its own database.
/// </summary>
public abstract class SessionStoreContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A gateway over a fresh database; <paramref name="database"/> reuses one ("restart").</summary>
    protected abstract Task<(GatewayApp App, string Database)> StartAsync(string? database = null, IDictionary<string, string?>? settings = null);

    /// <summary>Opens the store directly, to look at rows the API does not show.</summary>
    protected abstract SessionDbContext Open(string database);

    [Fact]
    public async Task A_session_round_trips_with_its_transcript_and_events()
    {
        var (app, _) = await StartAsync();
        await using var _app = app;

        var id = await app.CreateSessionAsync(new { input = "What is 7*6?", metadata = new { team = "blue" } }, Ct);
        var session = await app.WaitForEndAsync(id, Ct);

        session.GetProperty("output").GetString().ShouldBe("7*6 = 42.");
        session.GetProperty("metadata").GetProperty("team").GetString().ShouldBe("blue");
        session.GetProperty("messages").GetArrayLength().ShouldBe(4);
        var sequences = session.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        sequences.ShouldBe(Enumerable.Range(1, sequences.Count).Select(i => (long)i));
    }

    [Fact]
    public async Task Events_streamed_live_are_the_events_stored_byte_for_byte()
    {
        // A slow model, so the stream gets the turn's events as they are announced, not from the store.
        var (app, _) = await StartAsync(settings: new Dictionary<string, string?> { ["SomaAgent:Models:Simulated:TimePerTokenMs"] = "20" });
        await using var _app = app;
        var id = await app.CreateSessionAsync(new { input = "Tell me a story about a very patient robot" }, Ct);
        using var client = app.CreateClient();

        using var response = await client.GetAsync($"/v1/sessions/{id}/events", HttpCompletionOption.ResponseHeadersRead, Ct);
        var streamed = await SseReader.ReadAllAsync(await response.Content.ReadAsStreamAsync(Ct), Ct);

        var stored = (await app.WaitForEndAsync(id, Ct)).GetProperty("events").EnumerateArray().Select(e => e.GetRawText()).ToList();
        // Timestamps included: PostgreSQL keeps microseconds, so events are stamped to the microsecond when made.
        streamed.Select(e => e.Data.GetRawText()).ShouldBe(stored);
    }

    [Fact]
    public async Task Every_row_carries_the_tenant_and_the_principal()
    {
        var (app, database) = await StartAsync();
        await using var _app = app;
        var id = await app.CreateSessionAsync(new { input = "What is 1+1?" }, Ct);
        await app.WaitForEndAsync(id, Ct);

        await using var db = Open(database);
        // The principal is the key that made the request (the test apps use the bootstrap key), never a secret.
        var principal = (await db.ApiKeys.SingleAsync(k => k.CreatedBy == "bootstrap" && k.RevokedAt == null, Ct)).Id.ToString();
        (await db.Sessions.SingleAsync(s => s.Id == id, Ct)).TenantId.ShouldBe("default");
        (await db.Messages.Where(m => m.SessionId == id).ToListAsync(Ct)).ShouldAllBe(m => m.TenantId == "default" && m.CreatedBy == principal);
        (await db.Events.Where(e => e.SessionId == id).ToListAsync(Ct)).ShouldAllBe(e => e.TenantId == "default" && e.CreatedBy == principal);
    }

    [Fact]
    public async Task Pages_walk_every_session_newest_first_without_repeats()
    {
        var (app, _) = await StartAsync();
        await using var _app = app;
        var ids = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await app.CreateSessionAsync(new { input = $"session {i}" }, Ct));
        }
        using var client = app.CreateClient();

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions?limit=3{(cursor is null ? "" : $"&cursor={cursor}")}", Ct);
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);

        seen.ShouldBe(Enumerable.Reverse(ids));
    }

    [Fact]
    public async Task Concurrent_idempotent_creates_store_one_session()
    {
        var (app, database) = await StartAsync();
        await using var _app = app;
        var key = Guid.NewGuid().ToString();

        var ids = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            using var client = app.CreateClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sessions") { Content = JsonContent.Create(new { input = "once" }) };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await client.SendAsync(request, Ct);
            response.StatusCode.ShouldBe(HttpStatusCode.Created);
            return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        }));

        ids.Distinct().Count().ShouldBe(1);
        await using var db = Open(database);
        (await db.Sessions.CountAsync(Ct)).ShouldBe(1);
    }

    [Fact]
    public async Task Concurrent_next_messages_start_exactly_one_turn()
    {
        // The first reply comes at once; later ones wait long enough that the winning turn is still running
        // when the losers arrive (a store that serializes writers would otherwise let each one in turn win).
        var (app, _) = await StartAsync(settings: new Dictionary<string, string?> { ["SomaAgent:Models:Simulated:TimeToFirstTokenMs"] = "300" });
        await using var _app = app;
        var id = await app.CreateSessionAsync(new { input = "hello" }, Ct);
        await app.WaitForEndAsync(id, Ct);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            using var client = app.CreateClient();
            using var response = await client.PostAsJsonAsync($"/v1/sessions/{id}/messages", new { input = $"next {i}" }, Ct);
            return response.StatusCode;
        }));

        statuses.Count(s => s == HttpStatusCode.Accepted).ShouldBe(1);
        statuses.Count(s => s == HttpStatusCode.Conflict).ShouldBe(5);
        var session = await app.WaitForEndAsync(id, Ct, turn: 2);
        session.GetProperty("messages").EnumerateArray().Count(m => m.GetProperty("role").GetString() == "user").ShouldBe(2);
    }

    [Fact]
    public async Task Sessions_and_events_survive_a_restart()
    {
        var (first, database) = await StartAsync();
        Guid id;
        JsonElement before;
        await using (first)
        {
            id = await first.CreateSessionAsync(new { input = "What is 5+5?" }, Ct);
            before = await first.WaitForEndAsync(id, Ct);
        }

        var (second, _) = await StartAsync(database);
        await using var _second = second;
        using var client = second.CreateClient();
        var after = await client.GetFromJsonAsync<JsonElement>($"/v1/sessions/{id}", Ct);

        after.GetProperty("events").GetRawText().ShouldBe(before.GetProperty("events").GetRawText());
    }
}

public sealed class SqliteSessionStoreTests : SessionStoreContractTests
{
    protected override Task<(GatewayApp App, string Database)> StartAsync(string? database = null, IDictionary<string, string?>? settings = null)
    {
        var app = new GatewayApp(database, settings: settings);
        return Task.FromResult((app, app.DatabaseFile));
    }

    protected override SessionDbContext Open(string database) =>
        new SqliteSessionDbContext(new DbContextOptionsBuilder<SqliteSessionDbContext>().UseSqlite($"Data Source={database}").Options);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSessionStoreTests(PostgresServer server) : SessionStoreContractTests
{
    protected override async Task<(GatewayApp App, string Database)> StartAsync(string? database = null, IDictionary<string, string?>? settings = null)
    {
        database ??= await server.CreateDatabaseAsync("store", Ct);
        return (new GatewayApp(postgres: database, settings: settings), database);
    }

    protected override SessionDbContext Open(string database) =>
        new PostgresSessionDbContext(new DbContextOptionsBuilder<PostgresSessionDbContext>().UseNpgsql(database).Options);
}
