using System.Text.Json;
using SomaAgent.Bench;
using SomaAgent.Bench.Faults;

namespace SomaAgent.Tests.Bench;

/// <summary>The fault run's checker: what it counts as lost, duplicated or failed with a reason in a session it reads back.</summary>
public sealed class SessionCheckTests
{
    [Fact]
    public void A_session_whose_turns_all_completed_in_a_gapless_log_is_clean()
    {
        var findings = SessionCheck.Check(Session(Turn(1), Turn(2)), new LedgerEntry(Accepted: 2, Unsure: 0));

        findings.LostCount.ShouldBe(0);
        findings.DuplicatedCount.ShouldBe(0);
        findings.Turns.ShouldBe(2);
        findings.TurnsCompleted.ShouldBe(2);
        findings.Problems.ShouldBeEmpty();
    }

    [Fact]
    public void Events_missing_from_the_log_are_lost()
    {
        var session = Session(Turn(1));
        session = session with { Events = [.. session.Events.Where(e => e.Sequence is not (2 or 3))] };

        var findings = SessionCheck.Check(session, new LedgerEntry(1, 0));

        findings.LostCount.ShouldBe(2);
        findings.Problems.ShouldHaveSingleItem().ShouldContain("events #2..#3 missing");
    }

    [Fact]
    public void An_event_stored_twice_is_duplicated()
    {
        var session = Session(Turn(1));
        session = session with { Events = [.. session.Events.Take(3), session.Events[2], .. session.Events.Skip(3)] };

        SessionCheck.Check(session, new LedgerEntry(1, 0)).DuplicatedCount.ShouldBe(1);
    }

    [Fact]
    public void A_turn_that_never_ended_is_lost()
    {
        var findings = SessionCheck.Check(Session(Turn(1), Turn(2, end: null)), new LedgerEntry(2, 0));

        findings.LostCount.ShouldBe(1);
        findings.Problems.ShouldHaveSingleItem().ShouldContain("turn 2 never ended");
    }

    [Fact]
    public void A_turn_that_failed_with_a_reason_is_counted_apart_and_not_lost()
    {
        var findings = SessionCheck.Check(Session(Turn(1, end: "failed", reason: "interrupted: the worker stopped")), new LedgerEntry(1, 0));

        findings.LostCount.ShouldBe(0);
        findings.FailedWithReason.ShouldBe(1);
        findings.Reasons.ShouldBe(["interrupted: the worker stopped"]);
    }

    [Fact]
    public void A_turn_that_failed_without_a_reason_is_lost()
    {
        SessionCheck.Check(Session(Turn(1, end: "failed")), new LedgerEntry(1, 0)).LostCount.ShouldBe(1);
    }

    [Fact]
    public void A_turn_that_ended_twice_is_duplicated()
    {
        var session = Session(Turn(1));
        var end = session.Events[^1];
        session = session with { Events = [.. session.Events, end with { Sequence = end.Sequence + 1 }] };

        SessionCheck.Check(session, new LedgerEntry(1, 0)).DuplicatedCount.ShouldBe(1);
    }

    [Fact]
    public void A_tool_call_with_two_results_is_duplicated()
    {
        var session = Session(Turn(1));
        var result = session.Events.Single(e => e.Type == "tool.result");
        var events = session.Events.ToList();
        events.Insert(events.IndexOf(result) + 1, result);
        session = session with { Events = [.. events.Select((e, i) => e with { Sequence = i + 1 })] };

        SessionCheck.Check(session, new LedgerEntry(1, 0)).DuplicatedCount.ShouldBe(1);
    }

    [Fact]
    public void An_accepted_user_message_missing_from_the_transcript_is_lost()
    {
        var findings = SessionCheck.Check(Session(Turn(1)), new LedgerEntry(Accepted: 2, Unsure: 0));

        findings.LostCount.ShouldBe(1);
        findings.Problems.ShouldHaveSingleItem().ShouldContain("2 user messages accepted, 1 stored");
    }

    [Fact]
    public void A_message_whose_answer_never_came_may_be_stored_or_not()
    {
        SessionCheck.Check(Session(Turn(1), Turn(2)), new LedgerEntry(Accepted: 1, Unsure: 1)).DuplicatedCount.ShouldBe(0);
        SessionCheck.Check(Session(Turn(1)), new LedgerEntry(Accepted: 1, Unsure: 1)).LostCount.ShouldBe(0);
    }

    [Fact]
    public void More_user_messages_than_the_clients_sent_are_duplicated()
    {
        SessionCheck.Check(Session(Turn(1), Turn(2)), new LedgerEntry(Accepted: 1, Unsure: 0)).DuplicatedCount.ShouldBe(1);
    }

    [Fact]
    public void A_session_the_client_was_told_of_but_the_store_lacks_loses_every_accepted_message()
    {
        var findings = SessionCheck.Missing("0190-missing", new LedgerEntry(Accepted: 3, Unsure: 1));

        findings.LostCount.ShouldBe(3);
        findings.Problems.ShouldHaveSingleItem().ShouldContain("not in the store");
    }

    [Fact]
    public void Events_streamed_to_the_client_as_they_are_stored_are_fine()
    {
        var session = Session(Turn(1));
        var seen = session.Events.ToDictionary(e => e.Sequence, e => SessionLedger.Fingerprint(e.Json));

        SessionCheck.Check(session, new LedgerEntry(1, 0), seen).LostCount.ShouldBe(0);
    }

    [Fact]
    public void An_event_the_client_was_streamed_that_the_store_holds_otherwise_is_lost()
    {
        // As when the store lost a commit it had announced and the turn ran again: same ids, another history.
        var session = Session(Turn(1));
        var seen = session.Events.ToDictionary(e => e.Sequence, e => SessionLedger.Fingerprint(e.Json));
        seen[5] = SessionLedger.Fingerprint(Json(5, "message.completed", 1, """{"content":"something else"}"""));
        seen[7] = SessionLedger.Fingerprint(Json(7, "status", 1, """{"status":"completed"}"""));

        var findings = SessionCheck.Check(session, new LedgerEntry(1, 0), seen);

        findings.LostCount.ShouldBe(2);
        findings.Problems[0].ShouldContain("event #5 was streamed to the client");
        findings.Problems[1].ShouldContain("event #7 was streamed to the client as");
        findings.Problems[1].ShouldContain("not stored");
    }

    private static string Json(long sequence, string type, int turn, string data) =>
        $$"""{"sequence":{{sequence}},"type":"{{type}}","turn":{{turn}},"data":{{data}}}""";

    /// <summary>One turn as the services store it: its user message and events (numbered by <see cref="Session"/>).</summary>
    private static (MessageRecord[] Messages, (string Type, int Turn, string Data)[] Events) Turn(int turn, string? end = "completed", string? reason = null)
    {
        var events = new List<(string, int, string)>
        {
            ("status", turn, """{"status":"queued"}"""),
            ("status", turn, """{"status":"running"}"""),
            ("tool.call", turn, $$"""{"call_id":"call-{{turn}}","name":"calculator"}"""),
            ("tool.result", turn, $$"""{"call_id":"call-{{turn}}","content":"84"}"""),
            ("message.completed", turn, """{"content":"12*(3+4) = 84."}"""),
        };
        if (end is not null)
        {
            events.Add(("status", turn, JsonSerializer.Serialize(new Dictionary<string, string?> { ["status"] = end, ["reason"] = reason })));
        }
        return ([new MessageRecord("user", turn, null), new MessageRecord("assistant", turn, null)], [.. events]);
    }

    private static SessionRecord Session(params (MessageRecord[] Messages, (string Type, int Turn, string Data)[] Events)[] turns)
    {
        var events = turns.SelectMany(t => t.Events)
            .Select((e, i) => new EventRecord(i + 1, e.Type, e.Turn, JsonDocument.Parse(e.Data).RootElement.Clone(), Json(i + 1, e.Type, e.Turn, e.Data)))
            .ToList();
        return new SessionRecord("0190-session", "completed", null, turns.Length, [.. turns.SelectMany(t => t.Messages)], events);
    }
}
