namespace SomaAgent.Runtime.Messaging;

/// <summary>Topic names (the same on every bus). Keys are session ids, so one session stays ordered.</summary>
public static class Topics
{
    public const string ConversationInbound = "conversation.inbound";
    public const string ToolRequests = "tool.requests";
    public const string ToolResults = "tool.results";
    public const string SessionEvents = "session.events";

    /// <summary>Every topic the services use; the Kafka bus creates the missing ones at start-up.</summary>
    public static IReadOnlyList<string> All { get; } = [ConversationInbound, ToolRequests, ToolResults, SessionEvents];

    /// <summary>Where a bus parks the messages of <paramref name="topic"/> that could not be handled.</summary>
    public static string DeadLetter(string topic) => $"{topic}.dead-letter";
}
