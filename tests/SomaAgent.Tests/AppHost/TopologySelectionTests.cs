using Aspire.Hosting.Testing;

namespace SomaAgent.Tests.AppHost;

public sealed class TopologySelectionTests
{
    [Fact]
    public async Task Unknown_topology_fails_naming_the_key_and_the_valid_values()
    {
        var ct = TestContext.Current.CancellationToken;

        var failure = await Should.ThrowAsync<InvalidOperationException>(() => DistributedApplicationTestingBuilder
            .CreateAsync<Projects.SomaAgent_AppHost>(["SomaAgent:Topology=banana"], ct)
            .WaitAsync(TimeSpan.FromSeconds(60), ct));

        failure.Message.ShouldContain("SomaAgent:Topology");
        failure.Message.ShouldContain("banana");
        failure.Message.ShouldContain("'embedded'");
        failure.Message.ShouldContain("'containers'");
    }
}
