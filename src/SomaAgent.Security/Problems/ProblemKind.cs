namespace SomaAgent.Security.Problems;

/// <summary>
/// One kind of problem a SomaAgent service answers with: its stable <c>type</c> (clients branch on it, never on
/// the title or detail; never reused for another meaning), its title and its HTTP status. The detail, which
/// says what exactly went wrong and how to fix it, comes with each response.
/// </summary>
public sealed record ProblemKind(string Type, string Title, int Status);
