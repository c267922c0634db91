using System.Net;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SomaAgent.Registry.Artifacts;
using SomaAgent.Registry.Configuration;
using SomaAgent.Registry.Storage;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>The containers topology's storage: packages published to and served from a real S3 server, orphans removed from it.</summary>
[Collection(S3Collection.Name)]
public sealed class S3MarketplaceTests(S3Server s3) : IAsyncLifetime
{
    private GatewayApp _gateway = null!;
    private RegistryApp _registry = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _gateway = new GatewayApp();
        _ = _gateway.Server;
        _registry = new RegistryApp(_gateway.DatabaseFile, settings: new Dictionary<string, string?>
        {
            ["S3:ServiceUrl"] = s3.ServiceUrl.ToString(),
            ["S3:AccessKey"] = S3Server.AccessKey,
            ["S3:SecretKey"] = S3Server.SecretKey,
            ["S3:Bucket"] = $"market-{Guid.NewGuid():N}"[..24],
        });
        _ = _registry.Server;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _registry.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    [Fact]
    public async Task A_published_package_is_stored_in_the_bucket_and_downloaded_byte_for_byte()
    {
        using var tenant = await TenantAsync();
        var name = "cap-" + Guid.NewGuid().ToString("N")[..12];
        var package = CapsuleBuilder.PackageOfSize(name, "1.0.0", 1024 * 1024);

        (await tenant.PublishAsync(package)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var store = _registry.Services.GetRequiredService<IArtifactStore>().ShouldBeOfType<S3ArtifactStore>();
        (await store.ExistsAsync(Convert.ToHexStringLower(SHA256.HashData(package)), Ct)).ShouldBeTrue();
        (await tenant.Client.GetByteArrayAsync($"/v1/capsules/{name}/1.0.0/package", Ct)).ShouldBe(package);
    }

    [Fact]
    public async Task The_janitor_removes_an_orphan_from_the_bucket()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var factory = _registry.Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>();
        var store = _registry.Services.GetRequiredService<IArtifactStore>();
        var digest = await Artifacts.BlobJanitorTests.StoreOrphanAsync(new BlobIndex(factory, store, time), 10_000);
        (await store.ExistsAsync(digest, Ct)).ShouldBeTrue();

        time.Advance(TimeSpan.FromMinutes(6));
        await new BlobJanitor(factory, store, Options.Create(new RegistryOptions()), time, NullLogger<BlobJanitor>.Instance).SweepAsync(Ct);

        (await store.ExistsAsync(digest, Ct)).ShouldBeFalse();
    }

    private Task<Tenant> TenantAsync() => Tenant.CreateAsync(_gateway, _registry.CreateClientWith);
}
