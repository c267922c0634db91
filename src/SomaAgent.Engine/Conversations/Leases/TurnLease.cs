namespace SomaAgent.Engine.Conversations.Leases;

/// <summary>
/// A worker's claim on a session's running turn at one epoch. <see cref="Lost"/> fires when renewal finds
/// another worker has taken the turn over; from then on the turn must stop without writing.
/// </summary>
public sealed class TurnLease(Guid sessionId, long epoch) : IDisposable
{
    private readonly CancellationTokenSource _lost = new();

    public Guid SessionId { get; } = sessionId;

    public long Epoch { get; } = epoch;

    public CancellationToken Lost => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    internal void MarkLost() => _lost.Cancel();

    public void Dispose() => _lost.Dispose();
}
