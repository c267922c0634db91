using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SomaAgent.Registry.Artifacts;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>The marketplace's queries on PostgreSQL (the containers topology's database), not only on SQLite.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMarketplaceTests(PostgresServer server) : IAsyncLifetime
{
    private GatewayApp _gateway = null!;
    private RegistryApp _registry = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var database = await server.CreateDatabaseAsync("marketplace", Ct);
        _gateway = new GatewayApp(postgres: database);
        _ = _gateway.Server;
        _registry = new RegistryApp(_gateway.DatabaseFile, database, new Dictionary<string, string?>
        {
            ["SomaAgent:DataDirectory"] = Path.Combine(Path.GetDirectoryName(_gateway.DatabaseFile)!, "registry-data"),
        });
        _ = _registry.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _registry.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task Search_by_words_tag_and_publisher_pages_through_public_and_own_capsules()
    {
        using var alice = await TenantAsync();
        using var bob = await TenantAsync();
        var word = "w" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++)
        {
            await alice.PublishNewAsync(name: $"{word}-{i}", manifest: CapsuleBuilder.Manifest($"{word}-{i}", "1.0.0", publisher: "Sea Labs", tags: ["marine"]));
        }
        await bob.PublishNewAsync(name: $"{word}-bob", visibility: "private");

        var first = await alice.GetJsonAsync($"/v1/capsules?q={word.ToUpperInvariant()}&tag=marine&publisher=SEA%20LABS&limit=2");
        var rest = await alice.GetJsonAsync($"/v1/capsules?q={word}&tag=marine&publisher=sea%20labs&limit=2&cursor={first.GetProperty("next_cursor").GetString()}");

        first.GetProperty("data").EnumerateArray().Concat(rest.GetProperty("data").EnumerateArray()).Select(c => c.GetProperty("name").GetString())
            .ShouldBe([$"{word}-0", $"{word}-1", $"{word}-2"]);
        (await alice.GetJsonAsync($"/v1/capsules?q={word}-bob")).GetProperty("data").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Install_yank_and_the_flagged_installation_list()
    {
        using var publisher = await TenantAsync();
        using var user = await TenantAsync(registerKey: false);
        var name = await publisher.PublishNewAsync("1.0.0");
        await publisher.PublishNewAsync("1.1.0", name: name);
        (await user.InstallAsync(name)).StatusCode.ShouldBe(HttpStatusCode.Created);

        (await publisher.Client.PostAsJsonAsync($"/v1/capsules/{name}/1.1.0/yank", new { reason = "broken" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var installed = (await user.GetJsonAsync("/v1/installations")).GetProperty("data").EnumerateArray().Single();
        installed.GetProperty("status").GetString().ShouldBe("yanked");
        (await publisher.GetJsonAsync($"/v1/capsules/{name}")).GetProperty("latest_version").GetString().ShouldBe("1.0.0");
        await (await user.InstallAsync(name, "1.1.0")).ShouldBeProblemAsync(HttpStatusCode.Conflict, "capsule-yanked");
        (await user.InstallAsync(name)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Downloads_count_and_the_janitor_keeps_what_versions_point_at()
    {
        using var tenant = await TenantAsync();
        var name = await tenant.PublishNewAsync();
        await tenant.Client.GetByteArrayAsync($"/v1/capsules/{name}/1.0.0/package", Ct);

        await _registry.Services.GetServices<IHostedService>().OfType<BlobJanitor>().Single().SweepAsync(Ct);

        (await tenant.GetJsonAsync($"/v1/capsules/{name}/1.0.0")).GetProperty("downloads").GetInt64().ShouldBe(1);
        (await tenant.Client.GetAsync($"/v1/capsules/{name}/1.0.0/package", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private Task<Tenant> TenantAsync(bool registerKey = true) => Tenant.CreateAsync(_gateway, _registry.CreateClientWith, registerKey);
}
