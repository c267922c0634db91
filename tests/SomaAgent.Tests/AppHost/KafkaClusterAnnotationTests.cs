using SomaAgent.AppHost.Deployment;

namespace SomaAgent.Tests.AppHost;

/// <summary>The deployed Kafka cluster the AppHost declares: it refuses topics its brokers could not hold.</summary>
public sealed class KafkaClusterAnnotationTests
{
    [Theory]
    [InlineData(3, 3, 2)]
    [InlineData(3, 2, 2)]
    [InlineData(5, 5, 3)]
    [InlineData(1, 1, 1)]
    public void Writes_wait_for_a_majority_of_the_copies(int brokers, int replicationFactor, int minInSync)
    {
        new KafkaClusterAnnotation(brokers, ["t"], 6, replicationFactor).MinInSyncReplicas.ShouldBe(minInSync);
    }

    [Theory]
    [InlineData(3, 4)]
    [InlineData(3, 0)]
    public void More_copies_than_brokers_or_none_is_refused(int brokers, int replicationFactor)
    {
        var refusal = Should.Throw<ArgumentOutOfRangeException>(() => new KafkaClusterAnnotation(brokers, ["t"], 6, replicationFactor));

        refusal.Message.ShouldContain($"{brokers} brokers can hold 1 to {brokers} copies");
    }
}
