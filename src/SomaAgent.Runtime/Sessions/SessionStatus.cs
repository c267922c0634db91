namespace SomaAgent.Runtime.Sessions;

/// <summary>
/// The status of a session's latest turn, as it appears on the wire. The strings are the contract:
/// <c>queued → running ⇄ waiting_tool → completed | failed | cancelled</c>.
/// </summary>
public static class SessionStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string WaitingTool = "waiting_tool";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static IReadOnlyList<string> All { get; } = [Queued, Running, WaitingTool, Completed, Failed, Cancelled];

    /// <summary>True when the turn has ended and the session accepts the next message.</summary>
    public static bool IsEnded(string status) => status is Completed or Failed or Cancelled;
}
