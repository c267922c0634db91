namespace SomaAgent.Tests.Gateway;

/// <summary>One gateway shared by the tests that only create their own sessions and read them back.</summary>
[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<SharedGateway>
{
    public const string Name = "gateway";
}

/// <summary>The shared gateway: started once, disposed after the collection.</summary>
public sealed class SharedGateway : IAsyncLifetime
{
    public GatewayApp App { get; } = new();

    public ValueTask InitializeAsync()
    {
        _ = App.Server;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
