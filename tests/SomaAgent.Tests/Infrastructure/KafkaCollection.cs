namespace SomaAgent.Tests.Infrastructure;

/// <summary>Tests that share one <see cref="KafkaMockCluster"/>, started once for the collection.</summary>
[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaMockCluster>
{
    public const string Name = "Kafka";
}
