using System.Collections.Concurrent;

namespace SomaAgent.Bench;

/// <summary>
/// What the clients were told, session by session: the user messages the gateway accepted (the create's input counts
/// as one), and those whose answer never came or was a server error, so they may or may not have been stored. A
/// checker holds the stored transcripts to it: fewer stored than accepted is a loss, more than accepted and unsure
/// together is a duplicate. It also keeps a fingerprint of every event the clients were streamed: what a client was
/// shown must be what the store holds in the end.
/// </summary>
internal sealed class SessionLedger
{
    private readonly ConcurrentDictionary<string, LedgerEntry> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<long, string>> _seen = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, LedgerEntry> Sessions => _sessions;

    /// <summary>The events each session's clients were streamed: sequence to the event's JSON fingerprint.</summary>
    public IReadOnlyDictionary<long, string>? SeenOf(string sessionId) => _seen.GetValueOrDefault(sessionId);

    /// <summary>Notes an event a client was streamed. Shown again after a reconnect, it must be the same.</summary>
    public void Seen(string sessionId, long sequence, string json)
    {
        var fingerprint = Fingerprint(json);
        var events = _seen.GetOrAdd(sessionId, _ => new ConcurrentDictionary<long, string>());
        events.AddOrUpdate(sequence, fingerprint, (_, before) => before == fingerprint ? before : before + " then " + fingerprint);
    }

    /// <summary>A short, stable digest of an event's JSON as sent.</summary>
    public static string Fingerprint(string json) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json)), 0, 8);

    public void Accepted(string sessionId) =>
        _sessions.AddOrUpdate(sessionId, _ => new LedgerEntry(1, 0), (_, e) => e with { Accepted = e.Accepted + 1 });

    public void Unsure(string sessionId) =>
        _sessions.AddOrUpdate(sessionId, _ => new LedgerEntry(0, 1), (_, e) => e with { Unsure = e.Unsure + 1 });
}

/// <summary>A session's user messages the gateway accepted, and those whose fate the client does not know.</summary>
internal sealed record LedgerEntry(int Accepted, int Unsure);
