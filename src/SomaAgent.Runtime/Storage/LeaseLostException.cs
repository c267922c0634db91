namespace SomaAgent.Runtime.Storage;

/// <summary>A worker wrote to a session whose turn another worker has taken over since; nothing was stored.</summary>
public sealed class LeaseLostException(Guid sessionId)
    : InvalidOperationException($"Session {sessionId} is no longer leased to this worker; its write was refused.")
{
    public Guid SessionId { get; } = sessionId;
}
