using System.Collections.Concurrent;

namespace SomaAgent.Bench;

/// <summary>
/// What the clients were told, session by session: the user messages the gateway accepted (the create's input counts
/// as one), and those whose answer never came or was a server error, so they may or may not have been stored. A
/// checker holds the stored transcripts to it: fewer stored than accepted is a loss, more than accepted and unsure
/// together is a duplicate.
/// </summary>
internal sealed class SessionLedger
{
    private readonly ConcurrentDictionary<string, LedgerEntry> _sessions = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, LedgerEntry> Sessions => _sessions;

    public void Accepted(string sessionId) =>
        _sessions.AddOrUpdate(sessionId, _ => new LedgerEntry(1, 0), (_, e) => e with { Accepted = e.Accepted + 1 });

    public void Unsure(string sessionId) =>
        _sessions.AddOrUpdate(sessionId, _ => new LedgerEntry(0, 1), (_, e) => e with { Unsure = e.Unsure + 1 });
}

/// <summary>A session's user messages the gateway accepted, and those whose fate the client does not know.</summary>
internal sealed record LedgerEntry(int Accepted, int Unsure);
