using SomaAgent.Tests.Gateway.Registry;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Cli;

/// <summary>The publisher's path with <c>soma</c> on the containers topology's stores: PostgreSQL and a real S3 server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class SomaPostgresJourneyTests(PostgresServer postgres, S3Server s3) : IClassFixture<S3Server>, IAsyncLifetime
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("somaagent-journey-");
    private ForwardingGateway _apps = null!;

    public async ValueTask InitializeAsync()
    {
        var database = await postgres.CreateDatabaseAsync("journey", TestContext.Current.CancellationToken);
        _apps = new ForwardingGateway(database, new Dictionary<string, string?>
        {
            ["S3:ServiceUrl"] = s3.ServiceUrl.ToString(),
            ["S3:AccessKey"] = S3Server.AccessKey,
            ["S3:SecretKey"] = S3Server.SecretKey,
            ["S3:Bucket"] = $"journey-{Guid.NewGuid():N}"[..24],
        });
        await _apps.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _apps.DisposeAsync();
        _work.Delete(recursive: true);
    }

    [Fact]
    public async Task A_publisher_goes_from_init_to_a_session_answering_with_the_capsules_tool_on_PostgreSQL_and_S3() =>
        await PublisherJourney.WalkAsync(_apps, _work);
}
