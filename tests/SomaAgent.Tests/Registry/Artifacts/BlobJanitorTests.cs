using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SomaAgent.Registry.Artifacts;
using SomaAgent.Registry.Configuration;
using SomaAgent.Registry.Storage;
using SomaAgent.Tests.Registry.Marketplace;

namespace SomaAgent.Tests.Registry.Artifacts;

/// <summary>The janitor removes blobs no version points at once their grace period is over, and nothing else.</summary>
[Collection(MarketplaceCollection.Name)]
public sealed class BlobJanitorTests(RegistryMarketplace marketplace)
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IServiceProvider Services => marketplace.Registry.Services;

    [Fact]
    public async Task A_blob_a_failed_publish_left_behind_is_removed_after_the_grace_period_and_not_before()
    {
        var (index, store, janitor) = Parts();
        var digest = await StoreOrphanAsync(index, 4096);

        _time.Advance(TimeSpan.FromMinutes(4));
        await janitor.SweepAsync(Ct);
        (await store.ExistsAsync(digest, Ct)).ShouldBeTrue();

        _time.Advance(TimeSpan.FromMinutes(2));
        (await janitor.SweepAsync(Ct)).ShouldBeGreaterThanOrEqualTo(1);
        (await store.ExistsAsync(digest, Ct)).ShouldBeFalse();
        (await IndexedAsync(digest)).ShouldBeFalse();
    }

    [Fact]
    public async Task A_published_package_is_never_removed()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = "cap-" + Guid.NewGuid().ToString("N")[..12];
        var package = CapsuleBuilder.Package(name, "1.0.0");
        (await tenant.PublishAsync(package)).StatusCode.ShouldBe(System.Net.HttpStatusCode.Created);
        var (_, store, janitor) = Parts();

        _time.Advance(TimeSpan.FromDays(30));
        await janitor.SweepAsync(Ct);

        (await store.ExistsAsync(Convert.ToHexStringLower(SHA256.HashData(package)), Ct)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_blob_stored_again_by_a_new_publish_gets_a_new_grace_period()
    {
        var (index, store, janitor) = Parts();
        var bytes = RandomNumberGenerator.GetBytes(2048);
        var digest = await StoreOrphanAsync(index, bytes);
        _time.Advance(TimeSpan.FromMinutes(4));

        await StoreOrphanAsync(index, bytes);
        _time.Advance(TimeSpan.FromMinutes(4));

        await janitor.SweepAsync(Ct);
        (await store.ExistsAsync(digest, Ct)).ShouldBeTrue();
    }

    [Fact]
    public async Task A_claim_refuses_a_blob_being_removed_so_no_version_can_point_at_it()
    {
        var (index, _, _) = Parts();
        var digest = await StoreOrphanAsync(index, 1024);
        await using var db = await Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync(Ct);

        (await index.ClaimAsync(db, digest, Ct)).ShouldBeTrue();
        await db.Blobs.Where(b => b.Digest == digest).ExecuteUpdateAsync(b => b.SetProperty(x => x.Deleting, true), Ct);
        (await index.ClaimAsync(db, digest, Ct)).ShouldBeFalse();
    }

    /// <summary>Stores random bytes as a failed publish leaves them: in the store and the index, with no version.</summary>
    internal static Task<string> StoreOrphanAsync(BlobIndex index, int size) => StoreOrphanAsync(index, RandomNumberGenerator.GetBytes(size));

    private static async Task<string> StoreOrphanAsync(BlobIndex index, byte[] bytes)
    {
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
        await index.StoreAsync(() => new MemoryStream(bytes), digest, bytes.Length, Ct);
        return digest;
    }

    private (BlobIndex Index, IArtifactStore Store, BlobJanitor Janitor) Parts()
    {
        var factory = Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>();
        var store = Services.GetRequiredService<IArtifactStore>();
        var janitor = new BlobJanitor(factory, store, Options.Create(new RegistryOptions()), _time, NullLogger<BlobJanitor>.Instance);
        return (new BlobIndex(factory, store, _time), store, janitor);
    }

    private async Task<bool> IndexedAsync(string digest)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<RegistryDbContext>>().CreateDbContextAsync(Ct);
        return await db.Blobs.AnyAsync(b => b.Digest == digest, Ct);
    }
}
