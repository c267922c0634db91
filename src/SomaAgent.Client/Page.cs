namespace SomaAgent.Client;

/// <summary>One page of a list; pass <see cref="NextCursor"/> as the cursor of the next call, null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, string? NextCursor);
