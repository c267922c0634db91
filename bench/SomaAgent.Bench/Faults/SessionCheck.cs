using System.Globalization;
using System.Text.Json;
using SomaAgent.Runtime.Sessions;

namespace SomaAgent.Bench.Faults;

/// <summary>
/// What the fault run proves of every session once the load has drained: each turn ended, completed or failed with a
/// reason; the event log runs 1, 2, 3… with no gap and no repeat; each turn ended once and each tool call has one
/// result at most; the transcript holds every user message the gateway accepted, and none twice; and every event a
/// client was streamed is stored exactly as it was shown (a store that lost a commit it had announced, then redid the
/// turn, would show the client one history and keep another).
/// </summary>
internal static class SessionCheck
{
    /// <summary>
    /// Checks one session against what its client was told (<paramref name="told"/>; null when the client never learned
    /// its id) and shown (<paramref name="seen"/>: sequence to <see cref="SessionLedger.Fingerprint"/>).
    /// </summary>
    public static SessionFindings Check(SessionRecord session, LedgerEntry? told, IReadOnlyDictionary<long, string>? seen = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        var findings = new SessionFindings();
        CheckEventLog(session, findings);
        CheckTurns(session, findings);
        CheckUserMessages(session, told, findings);
        CheckSeenEvents(session, seen, findings);
        return findings;
    }

    /// <summary>A session the client was told was created, missing from the store: all its accepted messages are lost.</summary>
    public static SessionFindings Missing(string sessionId, LedgerEntry told)
    {
        ArgumentNullException.ThrowIfNull(told);
        var findings = new SessionFindings();
        findings.Lost(told.Accepted, $"session {sessionId}: accepted, but not in the store");
        return findings;
    }

    private static void CheckEventLog(SessionRecord session, SessionFindings findings)
    {
        findings.Events = session.Events.Count;
        var expected = 1L;
        foreach (var e in session.Events)
        {
            if (e.Sequence < expected)
            {
                findings.Duplicated(1, $"session {session.Id}: event #{e.Sequence} ({e.Type}) again after #{expected - 1}");
                continue;
            }
            if (e.Sequence > expected)
            {
                findings.Lost((int)(e.Sequence - expected), $"session {session.Id}: events #{expected}..#{e.Sequence - 1} missing");
            }
            expected = e.Sequence + 1;
        }
    }

    private static void CheckTurns(SessionRecord session, SessionFindings findings)
    {
        findings.Turns = session.Turn;
        for (var turn = 1; turn <= session.Turn; turn++)
        {
            var events = session.Events.Where(e => e.Turn == turn).ToList();
            var ends = events.Where(e => e.Type == "status" && SessionStatus.IsEnded(Text(e.Data, "status") ?? "")).ToList();
            if (ends.Count == 0)
            {
                findings.Lost(1, $"session {session.Id}: turn {turn} never ended (status '{session.Status}')");
                continue;
            }
            if (ends.Count > 1)
            {
                findings.Duplicated(ends.Count - 1, $"session {session.Id}: turn {turn} ended {ends.Count} times ({string.Join(", ", ends.Select(e => $"#{e.Sequence} {Text(e.Data, "status")}"))})");
            }
            var end = ends[^1];
            switch (Text(end.Data, "status"))
            {
                case "completed":
                    findings.TurnsCompleted++;
                    break;
                case "failed" when string.IsNullOrWhiteSpace(Text(end.Data, "reason")):
                    findings.Lost(1, $"session {session.Id}: turn {turn} failed without a reason (event #{end.Sequence})");
                    break;
                case "failed":
                    findings.FailedWithReason++;
                    findings.Reasons.Add(Text(end.Data, "reason")!);
                    break;
                default:
                    findings.TurnsCancelled++;
                    break;
            }
            CheckToolResults(session.Id, turn, events, findings);
        }
    }

    private static void CheckToolResults(string sessionId, int turn, List<EventRecord> events, SessionFindings findings)
    {
        foreach (var repeated in events.Where(e => e.Type == "tool.result").GroupBy(e => Text(e.Data, "call_id") ?? "").Where(g => g.Count() > 1))
        {
            findings.Duplicated(repeated.Count() - 1, $"session {sessionId}: turn {turn}: tool call '{repeated.Key}' has {repeated.Count()} results");
        }
    }

    private static void CheckUserMessages(SessionRecord session, LedgerEntry? told, SessionFindings findings)
    {
        var stored = session.Messages.Count(m => m.Role == "user");
        findings.UserMessages = stored;
        foreach (var turn in session.Messages.Where(m => m.Role == "user").GroupBy(m => m.Turn).Where(g => g.Count() > 1))
        {
            findings.Duplicated(turn.Count() - 1, $"session {session.Id}: turn {turn.Key} holds {turn.Count()} user messages");
        }
        if (told is null)
        {
            return;
        }
        if (stored < told.Accepted)
        {
            findings.Lost(told.Accepted - stored, $"session {session.Id}: {told.Accepted} user messages accepted, {stored} stored");
        }
        else if (stored > told.Accepted + told.Unsure)
        {
            findings.Duplicated(stored - told.Accepted - told.Unsure,
                string.Create(CultureInfo.InvariantCulture, $"session {session.Id}: {stored} user messages stored, {told.Accepted} accepted and {told.Unsure} unanswered"));
        }
    }

    private static void CheckSeenEvents(SessionRecord session, IReadOnlyDictionary<long, string>? seen, SessionFindings findings)
    {
        if (seen is null)
        {
            return;
        }
        var stored = session.Events.GroupBy(e => e.Sequence).ToDictionary(g => g.Key, g => SessionLedger.Fingerprint(g.First().Json));
        foreach (var (sequence, fingerprint) in seen.OrderBy(e => e.Key))
        {
            if (!stored.TryGetValue(sequence, out var kept) || kept != fingerprint)
            {
                findings.Lost(1, $"session {session.Id}: event #{sequence} was streamed to the client as {fingerprint} but is {(kept is null ? "not stored" : $"stored as {kept}")}");
            }
        }
    }

    private static string? Text(JsonElement data, string property) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>What the checker found in one session, or, <see cref="Add"/>ed up, in all of them.</summary>
internal sealed class SessionFindings
{
    private const int ProblemsKept = 50;

    public int Sessions { get; set; } = 1;
    public int Turns { get; set; }
    public int TurnsCompleted { get; set; }
    public int TurnsCancelled { get; set; }
    public int FailedWithReason { get; set; }
    public int Events { get; set; }
    public int UserMessages { get; set; }
    public int LostCount { get; private set; }
    public int DuplicatedCount { get; private set; }
    public List<string> Problems { get; } = [];
    public List<string> Reasons { get; } = [];

    public void Lost(int count, string problem)
    {
        LostCount += count;
        Note(problem);
    }

    public void Duplicated(int count, string problem)
    {
        DuplicatedCount += count;
        Note(problem);
    }

    public void Add(SessionFindings other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Sessions += other.Sessions;
        Turns += other.Turns;
        TurnsCompleted += other.TurnsCompleted;
        TurnsCancelled += other.TurnsCancelled;
        FailedWithReason += other.FailedWithReason;
        Events += other.Events;
        UserMessages += other.UserMessages;
        LostCount += other.LostCount;
        DuplicatedCount += other.DuplicatedCount;
        Reasons.AddRange(other.Reasons);
        foreach (var problem in other.Problems)
        {
            Note(problem);
        }
    }

    private void Note(string problem)
    {
        if (Problems.Count < ProblemsKept)
        {
            Problems.Add(problem);
        }
    }
}
