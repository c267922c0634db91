namespace SomaAgent.Gateway;

/// <summary>
/// A type of the gateway's assembly for <c>WebApplicationFactory</c>: the test project also references the
/// AppHost, so the name <c>Program</c> alone would be ambiguous there.
/// </summary>
public sealed class GatewayEntryPoint;
