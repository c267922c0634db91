using System.Text.Json;
using SomaAgent.Client.Sessions;
using SomaAgent.Web.Sessions;

namespace SomaAgent.Tests.Web;

/// <summary>The console's view of a session, built from its events: each applies once, in order, and a turn's answer streams in.</summary>
public sealed class ConversationTests
{
    private static SessionEvent Event(long sequence, string type, object data, int turn = 1) =>
        new(sequence, type, DateTime.UtcNow, turn, JsonSerializer.SerializeToElement(data));

    private static readonly SessionEvent[] Turn =
    [
        Event(1, "message.created", new { role = "user", content = "What is 6*7?", turn = 1 }),
        Event(2, "status", new { status = "running", turn = 1 }),
        Event(3, "tool.call", new { call_id = "c1", name = "calculator", arguments = new { expression = "6*7" } }),
        Event(4, "tool.result", new { call_id = "c1", name = "calculator", result = new { result = 42 }, is_error = false }),
        Event(5, "message.delta", new { content = "6*7 " }),
        Event(6, "message.delta", new { content = "= 42." }),
    ];

    [Fact]
    public void A_running_turn_shows_the_question_the_tool_call_its_result_and_the_answer_so_far()
    {
        var conversation = new Conversation();
        foreach (var item in Turn)
        {
            conversation.Apply(item);
        }

        conversation.Running.ShouldBeTrue();
        conversation.Entries.Select(e => (e.Kind, e.Title, e.Text)).ShouldBe(
        [
            (EntryKind.User, null, "What is 6*7?"),
            (EntryKind.ToolCall, "calculator", "{\"expression\":\"6*7\"}"),
            (EntryKind.ToolResult, "calculator", "{\"result\":42}"),
            (EntryKind.Assistant, null, "6*7 = 42."),
        ]);
    }

    [Fact]
    public void Events_seen_before_change_nothing_so_a_resumed_stream_repeats_nothing()
    {
        var conversation = new Conversation();
        foreach (var item in Turn)
        {
            conversation.Apply(item);
        }

        var replayed = Turn.Skip(3).Select(conversation.Apply).ToList();
        conversation.Apply(Event(7, "message.delta", new { content = " Done." })).ShouldBeTrue();

        replayed.ShouldAllBe(changed => !changed);
        conversation.LastSequence.ShouldBe(7);
        conversation.Entries[^1].Text.ShouldBe("6*7 = 42. Done.");
        conversation.Missing.ShouldBeEmpty();
    }

    [Fact]
    public void A_sequence_that_never_arrived_is_named()
    {
        var conversation = new Conversation();

        conversation.Apply(Turn[0]);
        conversation.Apply(Turn[3]);

        conversation.Missing.ShouldBe([2L, 3L]);
    }

    [Fact]
    public void A_cancelled_turn_keeps_its_partial_answer_and_the_next_turn_follows_it()
    {
        var conversation = new Conversation();
        conversation.Apply(Turn[0]);
        conversation.Apply(Event(2, "message.delta", new { content = "Let me think" }));

        conversation.Apply(Event(3, "status", new { status = "cancelled", turn = 1, reason = "cancelled by the client" }));
        conversation.Apply(Event(4, "message.created", new { role = "user", content = "And 5+5?", turn = 2 }, turn: 2));
        conversation.Apply(Event(5, "message.completed", new { role = "assistant", content = "5+5 = 10.", turn = 2 }, turn: 2));

        conversation.Entries.Select(e => (e.Kind, e.Text, e.Title)).ShouldBe(
        [
            (EntryKind.User, "What is 6*7?", null),
            (EntryKind.Assistant, "Let me think", "cancelled"),
            (EntryKind.User, "And 5+5?", null),
            (EntryKind.Assistant, "5+5 = 10.", null),
        ]);
        conversation.Turn.ShouldBe(2);
    }
}
