namespace SomaAgent.AppHost.Deployment;

/// <summary>A piece of a deployed setting: text as it is, or the value of an AppHost parameter, given at deploy time.</summary>
internal abstract record ValuePart
{
    public sealed record Text(string Value) : ValuePart;

    /// <summary>A parameter; a secret one is read from the secret store of the target, the others are written out.</summary>
    public sealed record Parameter(string Name, bool Secret, string? Value) : ValuePart;
}
