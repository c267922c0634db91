using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Runtime.Sessions;
using SomaAgent.Runtime.Storage;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Runtime.Storage;

/// <summary>
/// What the store writer must do on each provider: its statements differ (arrays unnested on PostgreSQL, VALUES rows
/// on SQLite), its rules do not.
/// </summary>
public abstract class SessionWriteQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A gateway over the provider's store, shared by the class's tests.</summary>
    protected abstract GatewayApp App { get; }

    [Fact]
    public async Task A_batch_of_many_sessions_stores_every_value_as_written()
    {
        var sessions = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => CompletedSessionAsync()));
        var queue = App.Services.GetRequiredService<SessionWriteQueue>();
        var writtenAt = new DateTime(2026, 12, 7, 12, 30, 45, 123, DateTimeKind.Utc);

        // Queued together so they share batches: a reason on every other one, null on the rest, text that needs quoting.
        await Task.WhenAll(sessions.Select((s, i) => queue.WriteAsync(WriteOf(s, s.LastSequence + 1) with
        {
            Status = "failed",
            StatusReason = i % 2 == 0 ? $"reason 'quoted' {i}" : null,
            Output = $"output ü {i}",
            UpdatedAt = writtenAt,
            Messages = [MessageOf(s, i)],
        })));

        await using var db = await Factory().CreateDbContextAsync(Ct);
        var ids = sessions.Select(s => s.Id).ToList();
        var stored = await db.Sessions.AsNoTracking().Where(s => ids.Contains(s.Id)).ToDictionaryAsync(s => s.Id, Ct);
        foreach (var (session, i) in sessions.Select((s, i) => (s, i)))
        {
            var after = stored[session.Id];
            (after.Status, after.StatusReason, after.Output, after.UpdatedAt, after.LastSequence)
                .ShouldBe(("failed", i % 2 == 0 ? $"reason 'quoted' {i}" : null, $"output ü {i}", writtenAt, session.LastSequence + 1));
            var written = await db.Events.AsNoTracking().SingleAsync(e => e.SessionId == session.Id && e.Sequence == session.LastSequence + 1, Ct);
            (written.Type, written.DataJson, written.TenantId).ShouldBe(("error", """{"code":"test","message":"written by a test"}""", session.TenantId));
            var message = await db.Messages.AsNoTracking().SingleAsync(m => m.SessionId == session.Id && m.Ordinal == 1000, Ct);
            (message.Role, message.Content, message.ToolCallId, message.ToolName, message.ToolCallsJson, message.CreatedAt)
                .ShouldBe(("tool", $"result {i}", i % 2 == 0 ? $"call-{i}" : null, i % 2 == 0 ? "calculator" : null, null, writtenAt));
        }
    }

    private static MessageRecord MessageOf(SessionRecord session, int i) => new()
    {
        SessionId = session.Id,
        Ordinal = 1000,
        TenantId = session.TenantId,
        CreatedBy = session.CreatedBy,
        Turn = session.Turn,
        Role = "tool",
        Content = $"result {i}",
        ToolCallId = i % 2 == 0 ? $"call-{i}" : null,
        ToolName = i % 2 == 0 ? "calculator" : null,
        CreatedAt = new DateTime(2026, 12, 7, 12, 30, 45, 123, DateTimeKind.Utc),
    };

    [Fact]
    public async Task A_bad_write_fails_alone_and_the_writes_beside_it_are_stored()
    {
        var good = await CompletedSessionAsync();
        var bad = await CompletedSessionAsync();
        var queue = App.Services.GetRequiredService<SessionWriteQueue>();

        // Queued together so they can share a batch; the second repeats an existing sequence number.
        var stored = queue.WriteAsync(WriteOf(good, good.LastSequence + 1));
        var refused = queue.WriteAsync(WriteOf(bad, 1));

        await stored;
        await Should.ThrowAsync<DbUpdateException>(() => refused);
        await using var db = await Factory().CreateDbContextAsync(Ct);
        (await db.Sessions.SingleAsync(s => s.Id == good.Id, Ct)).LastSequence.ShouldBe(good.LastSequence + 1);
        (await db.Sessions.SingleAsync(s => s.Id == bad.Id, Ct)).LastSequence.ShouldBe(bad.LastSequence);
    }

    [Fact]
    public async Task A_write_at_a_superseded_lease_epoch_is_refused_and_stores_nothing()
    {
        var session = await CompletedSessionAsync();
        var queue = App.Services.GetRequiredService<SessionWriteQueue>();

        // What a worker that lost its lease would write: the session moved on to a newer epoch.
        var stale = queue.WriteAsync(WriteOf(session, session.LastSequence + 1, epoch: session.LeaseEpoch - 1));

        var refused = await Should.ThrowAsync<LeaseLostException>(() => stale);
        refused.SessionId.ShouldBe(session.Id);
        await using var db = await Factory().CreateDbContextAsync(Ct);
        (await db.Sessions.SingleAsync(s => s.Id == session.Id, Ct)).LastSequence.ShouldBe(session.LastSequence);
        (await db.Events.CountAsync(e => e.SessionId == session.Id, Ct)).ShouldBe((int)session.LastSequence);
    }

    [Fact]
    public async Task A_turn_start_that_finds_the_turn_no_longer_ended_stores_nothing()
    {
        var session = await CompletedSessionAsync();
        var queue = App.Services.GetRequiredService<SessionWriteQueue>();

        // Seen at an older turn: another start already moved the session on.
        var applied = await queue.WriteAsync(StartOf(session, seenTurn: session.Turn - 1, queuedInput: null));

        applied.ShouldBeFalse();
        await ShouldBeUnchangedAsync(session);
    }

    [Fact]
    public async Task A_turn_start_whose_waiting_input_was_taken_first_undoes_its_update_and_stores_nothing()
    {
        var session = await CompletedSessionAsync();
        var queue = App.Services.GetRequiredService<SessionWriteQueue>();

        // The session is idle, so the update matches; but no waiting input has this id any more.
        var applied = await queue.WriteAsync(StartOf(session, seenTurn: session.Turn, queuedInput: Guid.CreateVersion7()));

        applied.ShouldBeFalse();
        await ShouldBeUnchangedAsync(session);
    }

    [Fact]
    public async Task A_waiting_input_is_counted_on_its_session_and_the_write_that_ends_the_turn_reports_it()
    {
        var session = await CompletedSessionAsync();
        var queue = App.Services.GetRequiredService<SessionWriteQueue>();

        (await queue.WriteAsync(new QueuedInputWrite(InputFor(session)))).ShouldBeTrue();
        var ending = WriteOf(session, session.LastSequence + 1);
        await queue.WriteAsync(ending);

        ending.QueuedInputs.ShouldBe(1);
        await using var db = await Factory().CreateDbContextAsync(Ct);
        (await db.Sessions.SingleAsync(s => s.Id == session.Id, Ct)).QueuedInputs.ShouldBe(1);
    }

    [Fact]
    public async Task A_write_that_ends_a_turn_nobody_waits_for_reports_no_waiting_input()
    {
        var session = await CompletedSessionAsync();
        var ending = WriteOf(session, session.LastSequence + 1);

        await App.Services.GetRequiredService<SessionWriteQueue>().WriteAsync(ending);

        ending.QueuedInputs.ShouldBe(0);
    }

    [Fact]
    public async Task A_turn_started_from_the_wait_queue_takes_its_input_off_the_count()
    {
        var session = await CompletedSessionAsync();
        var queue = App.Services.GetRequiredService<SessionWriteQueue>();
        var input = InputFor(session);
        await queue.WriteAsync(new QueuedInputWrite(input));

        (await queue.WriteAsync(StartOf(session, seenTurn: session.Turn, queuedInput: input.Id))).ShouldBeTrue();

        await using var db = await Factory().CreateDbContextAsync(Ct);
        (await db.Sessions.SingleAsync(s => s.Id == session.Id, Ct)).QueuedInputs.ShouldBe(0);
        (await db.QueuedInputs.CountAsync(q => q.SessionId == session.Id, Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task An_input_for_a_session_that_is_gone_is_refused_and_stores_nothing()
    {
        var session = await CompletedSessionAsync();
        var orphan = InputFor(session);
        orphan.SessionId = Guid.CreateVersion7();

        (await App.Services.GetRequiredService<SessionWriteQueue>().WriteAsync(new QueuedInputWrite(orphan))).ShouldBeFalse();

        await using var db = await Factory().CreateDbContextAsync(Ct);
        (await db.QueuedInputs.CountAsync(q => q.Id == orphan.Id, Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task Turns_claimed_in_one_batch_each_get_their_own_transcript_in_order()
    {
        var first = await CompletedSessionAsync();
        var second = await CompletedSessionAsync();
        var queue = App.Services.GetRequiredService<SessionWriteQueue>();
        (await queue.WriteAsync(StartOf(first, seenTurn: first.Turn, queuedInput: null))).ShouldBeTrue();
        (await queue.WriteAsync(StartOf(second, seenTurn: second.Turn, queuedInput: null))).ShouldBeTrue();
        var now = DateTime.UtcNow;

        // Queued together so they can share a batch.
        var claims = new[] { first, second }.Select(s => new TurnClaimWrite(s.Id, s.Turn + 1, "test-worker", now, now.AddMinutes(1))).ToList();
        var claimed = await Task.WhenAll(claims.Select(queue.WriteAsync));

        claimed.ShouldAllBe(c => c);
        await using var db = await Factory().CreateDbContextAsync(Ct);
        foreach (var claim in claims)
        {
            var stored = await db.Messages.AsNoTracking().Where(m => m.SessionId == claim.SessionId).OrderBy(m => m.Ordinal).ToListAsync(Ct);
            stored.Count.ShouldBeGreaterThan(1);
            claim.Transcript.Select(m => (m.SessionId, m.Ordinal, m.Role, m.Content)).ShouldBe(stored.Select(m => (m.SessionId, m.Ordinal, m.Role, m.Content)));
        }
    }

    private static QueuedInputRecord InputFor(SessionRecord session) => new()
    {
        Id = Guid.CreateVersion7(),
        SessionId = session.Id,
        TenantId = session.TenantId,
        CreatedBy = session.CreatedBy,
        MessagesJson = """[{"role":"user","content":"and then?"}]""",
        CreatedAt = DateTime.UtcNow,
    };

    private async Task ShouldBeUnchangedAsync(SessionRecord before)
    {
        await using var db = await Factory().CreateDbContextAsync(Ct);
        var after = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == before.Id, Ct);
        (after.Turn, after.Status, after.LastSequence).ShouldBe((before.Turn, before.Status, before.LastSequence));
        (await db.Events.CountAsync(e => e.SessionId == before.Id, Ct)).ShouldBe((int)before.LastSequence);
    }

    private static TurnStartWrite StartOf(SessionRecord session, int seenTurn, Guid? queuedInput) => new(
        session.Id,
        seenTurn,
        session.LastSequence + 1,
        [],
        [new SessionEventRecord
        {
            SessionId = session.Id,
            Sequence = session.LastSequence + 1,
            TenantId = session.TenantId,
            CreatedBy = session.CreatedBy,
            Turn = session.Turn + 1,
            Type = "status",
            DataJson = """{"status":"queued","turn":2}""",
            CreatedAt = DateTime.UtcNow,
        }],
        queuedInput,
        DateTime.UtcNow);

    private IDbContextFactory<SessionDbContext> Factory() =>
        App.Services.GetRequiredService<IDbContextFactory<SessionDbContext>>();

    private async Task<SessionRecord> CompletedSessionAsync()
    {
        var id = await App.CreateSessionAsync(new { input = "hello" }, Ct);
        await App.WaitForEndAsync(id, Ct);
        await using var db = await Factory().CreateDbContextAsync(Ct);
        return await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == id, Ct);
    }

    private static SessionWrite WriteOf(SessionRecord session, long sequence, long? epoch = null) => new(
        session.Id,
        epoch ?? session.LeaseEpoch,
        [new SessionEventRecord
        {
            SessionId = session.Id,
            Sequence = sequence,
            TenantId = session.TenantId,
            CreatedBy = session.CreatedBy,
            Turn = session.Turn,
            Type = "error",
            DataJson = """{"code":"test","message":"written by a test"}""",
            CreatedAt = DateTime.UtcNow,
        }],
        [],
        sequence,
        session.Status,
        session.StatusReason,
        session.Output,
        DateTime.UtcNow);
}

[Collection(GatewayCollection.Name)]
public sealed class SqliteSessionWriteQueueTests(SharedGateway gateway) : SessionWriteQueueTests
{
    protected override GatewayApp App => gateway.App;
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSessionWriteQueueTests(PostgresServer server) : SessionWriteQueueTests, IAsyncLifetime
{
    private GatewayApp? _app;

    protected override GatewayApp App => _app ?? throw new InvalidOperationException("The gateway starts in InitializeAsync.");

    public async ValueTask InitializeAsync() =>
        _app = new GatewayApp(postgres: await server.CreateDatabaseAsync("writes", TestContext.Current.CancellationToken));

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
