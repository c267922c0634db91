namespace SomaAgent.Registry;

/// <summary>A type of the registry's assembly for <c>WebApplicationFactory</c> (<c>Program</c> alone is ambiguous in the tests).</summary>
public sealed class RegistryEntryPoint;
