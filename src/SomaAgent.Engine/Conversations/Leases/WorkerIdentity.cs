namespace SomaAgent.Engine.Conversations.Leases;

/// <summary>Names this worker instance in the leases it holds; unique per process start.</summary>
public sealed class WorkerIdentity
{
    public string Id { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
