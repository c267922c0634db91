using System.Text;
using SomaAgent.Client.Sessions;

namespace SomaAgent.Web.Sessions;

public enum EntryKind
{
    User,
    Assistant,
    ToolCall,
    ToolResult,
    Notice,
}

/// <summary>One line of the console: a message, a tool call or result, or a notice (a capsule, an error).</summary>
public sealed record ConversationEntry(EntryKind Kind, int Turn, string Text, string? Title = null, bool IsError = false);

/// <summary>
/// A session as the console shows it, built from its events in sequence order. Each event applies once: an event at or
/// below <see cref="LastSequence"/> (a resumed stream, a reload) changes nothing, so nothing is lost or shown twice.
/// </summary>
public sealed class Conversation
{
    private readonly List<ConversationEntry> _entries = [];
    private readonly StringBuilder _streaming = new();
    private int _streamingTurn;

    /// <summary>The sequence of the last event applied; a stream resumes after it.</summary>
    public long LastSequence { get; private set; }

    /// <summary>Sequences that never arrived (the store's log is gapless, so this stays empty unless something is wrong).</summary>
    public IList<long> Missing { get; } = [];

    public string Status { get; private set; } = "";

    public string? Reason { get; private set; }

    public int Turn { get; private set; }

    /// <summary>Whether the latest turn is still going (queued, running or waiting for a tool).</summary>
    public bool Running => Status is SessionStatuses.Queued or SessionStatuses.Running or SessionStatuses.WaitingTool;

    /// <summary>The entries so far, the assistant's answer of the running turn last, as far as it has streamed.</summary>
    public IReadOnlyList<ConversationEntry> Entries =>
        _streaming.Length == 0 ? _entries : [.. _entries, new ConversationEntry(EntryKind.Assistant, _streamingTurn, _streaming.ToString())];

    /// <summary>Applies <paramref name="item"/> unless it was applied already; answers whether it changed anything.</summary>
    public bool Apply(SessionEvent item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Sequence <= LastSequence)
        {
            return false;
        }
        for (var missing = LastSequence + 1; missing < item.Sequence; missing++)
        {
            Missing.Add(missing);
        }
        LastSequence = item.Sequence;
        Turn = Math.Max(Turn, item.Turn);
        var data = item.Data;
        switch (item.Type)
        {
            case SessionEventTypes.MessageCreated when Text(data, "role") == "user":
                _entries.Add(new ConversationEntry(EntryKind.User, item.Turn, Text(data, "content")));
                break;
            case SessionEventTypes.MessageDelta:
                _streamingTurn = item.Turn;
                _streaming.Append(item.Delta);
                break;
            case SessionEventTypes.MessageCompleted:
                _streaming.Clear();
                _entries.Add(new ConversationEntry(EntryKind.Assistant, item.Turn, Text(data, "content")));
                break;
            case SessionEventTypes.ToolCall:
                _entries.Add(new ConversationEntry(EntryKind.ToolCall, item.Turn, Raw(data, "arguments"), Text(data, "name")));
                break;
            case SessionEventTypes.ToolResult:
                _entries.Add(new ConversationEntry(EntryKind.ToolResult, item.Turn, Raw(data, "result"), Text(data, "name"),
                    data.TryGetProperty("is_error", out var error) && error.GetBoolean()));
                break;
            case SessionEventTypes.CapsuleAttached:
                _entries.Add(new ConversationEntry(EntryKind.Notice, item.Turn, $"Capsule {Text(data, "name")}@{Text(data, "version")} applies from here."));
                break;
            case SessionEventTypes.Error:
                _entries.Add(new ConversationEntry(EntryKind.Notice, item.Turn, Text(data, "message"), Text(data, "code"), IsError: true));
                break;
            case SessionEventTypes.Status:
                Status = Text(data, "status");
                Reason = data.TryGetProperty("reason", out var reason) ? reason.GetString() : null;
                if (!Running && _streaming.Length > 0)
                {
                    // A cancelled or failed turn keeps what it had said.
                    _entries.Add(new ConversationEntry(EntryKind.Assistant, _streamingTurn, _streaming.ToString(), Title: Status));
                    _streaming.Clear();
                }
                break;
        }
        return true;
    }

    private static string Text(System.Text.Json.JsonElement data, string name) =>
        data.TryGetProperty(name, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString()! : "";

    private static string Raw(System.Text.Json.JsonElement data, string name) =>
        data.TryGetProperty(name, out var value) ? (value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString()! : value.GetRawText()) : "";
}
