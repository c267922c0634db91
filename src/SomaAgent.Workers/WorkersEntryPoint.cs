namespace SomaAgent.Workers;

/// <summary>Names this assembly for WebApplicationFactory in tests; the entry point is Program.cs.</summary>
public sealed class WorkersEntryPoint;
