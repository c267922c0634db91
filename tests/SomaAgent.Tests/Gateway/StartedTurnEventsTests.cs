using Microsoft.Extensions.Time.Testing;
using SomaAgent.Gateway.Sessions;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Tests.Gateway;

/// <summary>What a gateway keeps of the turns it saw start, for their first stream, and when it keeps nothing.</summary>
public sealed class StartedTurnEventsTests
{
    private const string Tenant = "acme";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
    private readonly Guid _session = Guid.CreateVersion7();

    [Fact]
    public void A_new_session_is_kept_gapless_and_its_first_stream_takes_it()
    {
        var kept = new StartedTurnEvents(_time);
        kept.Record(Appended(_session, 1, 3));
        kept.Record(Appended(_session, 4, 4));

        kept.TryTake(_session, Tenant, after: 1, out var start).ShouldBeTrue();

        start.Events.Select(e => e.Sequence).ShouldBe([2L, 3L, 4L]);
        (start.Turn, start.Ended).ShouldBe((1, false));
        kept.TryTake(_session, Tenant, after: 0, out _).ShouldBeFalse();
        (kept.Count, kept.EventCount).ShouldBe((0, 0));
    }

    [Fact]
    public void A_session_whose_turn_ended_is_taken_as_ended_even_after_its_ending_event()
    {
        var kept = new StartedTurnEvents(_time);
        kept.Record(Appended(_session, 1, 3));
        kept.Record(Appended(_session, 4, 5, endsAt: 5));

        kept.TryTake(_session, Tenant, after: 5, out var start).ShouldBeTrue();

        start.Events.ShouldBeEmpty();
        (start.Turn, start.Ended).ShouldBe((1, true));
    }

    [Fact]
    public void A_next_turn_is_kept_from_its_first_event_and_serves_a_stream_from_the_event_before_it()
    {
        var kept = new StartedTurnEvents(_time);
        kept.Record(Appended(_session, 1, 3));
        kept.Record(Appended(_session, 4, 14, endsAt: 14));

        kept.Record(Appended(_session, 15, 16, turn: 2, startsAt: 16));

        kept.TryTake(_session, Tenant, after: 14, out var start).ShouldBeTrue();
        start.Events.Select(e => e.Sequence).ShouldBe([15L, 16L]);
        (start.Turn, start.Ended).ShouldBe((2, false));
    }

    [Fact]
    public void A_stream_from_before_the_kept_turn_reads_the_store()
    {
        var kept = new StartedTurnEvents(_time);
        kept.Record(Appended(_session, 1, 3));
        kept.Record(Appended(_session, 4, 14, endsAt: 14));
        kept.Record(Appended(_session, 15, 16, turn: 2, startsAt: 16));

        kept.TryTake(_session, Tenant, after: 3, out _).ShouldBeFalse();
    }

    [Fact]
    public void Events_joined_midway_are_not_kept()
    {
        var kept = new StartedTurnEvents(_time);

        kept.Record(Appended(_session, 4, 6));

        kept.TryTake(_session, Tenant, after: 0, out _).ShouldBeFalse();
    }

    [Fact]
    public void A_gap_drops_the_session_so_its_stream_reads_the_store()
    {
        var kept = new StartedTurnEvents(_time);
        kept.Record(Appended(_session, 1, 3));

        kept.Record(Appended(_session, 5, 6));

        kept.TryTake(_session, Tenant, after: 0, out _).ShouldBeFalse();
        kept.EventCount.ShouldBe(0);
    }

    [Fact]
    public void Another_tenant_is_not_served_and_leaves_the_session_kept()
    {
        var kept = new StartedTurnEvents(_time);
        kept.Record(Appended(_session, 1, 3));

        kept.TryTake(_session, "intruder", after: 0, out _).ShouldBeFalse();

        kept.TryTake(_session, Tenant, after: 0, out var start).ShouldBeTrue();
        start.Events.Count.ShouldBe(3);
    }

    [Fact]
    public void A_session_past_its_lifetime_is_dropped_when_the_next_one_begins()
    {
        var kept = new StartedTurnEvents(_time);
        kept.Record(Appended(_session, 1, 3));

        _time.Advance(StartedTurnEvents.Lifetime + TimeSpan.FromMilliseconds(1));
        kept.Record(Appended(Guid.CreateVersion7(), 1, 3));

        kept.TryTake(_session, Tenant, after: 0, out _).ShouldBeFalse();
        (kept.Count, kept.EventCount).ShouldBe((1, 3));
    }

    [Fact]
    public void A_session_longer_than_the_cap_is_not_kept()
    {
        var kept = new StartedTurnEvents(_time);
        kept.Record(Appended(_session, 1, 3));

        kept.Record(Appended(_session, 4, StartedTurnEvents.MaxEventsPerTurn + 1));

        kept.TryTake(_session, Tenant, after: 0, out _).ShouldBeFalse();
        kept.EventCount.ShouldBe(0);
    }

    [Fact]
    public void The_oldest_sessions_go_first_when_all_of_them_hold_too_many_events()
    {
        var kept = new StartedTurnEvents(_time);
        var perSession = StartedTurnEvents.MaxEventsPerTurn;
        var sessions = Enumerable.Range(0, StartedTurnEvents.MaxEvents / perSession + 2).Select(_ => Guid.CreateVersion7()).ToList();

        foreach (var session in sessions)
        {
            kept.Record(Appended(session, 1, perSession));
        }

        kept.EventCount.ShouldBeLessThanOrEqualTo(StartedTurnEvents.MaxEvents + perSession);
        kept.TryTake(sessions[0], Tenant, after: 0, out _).ShouldBeFalse();
        kept.TryTake(sessions[^1], Tenant, after: 0, out _).ShouldBeTrue();
    }

    [Fact]
    public void A_repeated_announcement_of_the_first_events_changes_nothing()
    {
        var kept = new StartedTurnEvents(_time);
        kept.Record(Appended(_session, 1, 3));

        kept.Record(Appended(_session, 1, 3));

        (kept.Count, kept.EventCount).ShouldBe((1, 3));
    }

    private static SessionEventsAppended Appended(Guid session, long from, long to, long? endsAt = null, int turn = 1, long? startsAt = null) => new()
    {
        SessionId = session,
        TenantId = Tenant,
        // A session's first announcement starts its first turn with its last event (the queued status).
        Events = [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(i => new SessionEventEnvelope(i, "status", turn, DateTime.UtcNow, "{}")
        {
            StartsTurn = i == (startsAt ?? (from == 1 ? to : 0)),
            EndsTurn = i == endsAt,
        })],
    };
}
