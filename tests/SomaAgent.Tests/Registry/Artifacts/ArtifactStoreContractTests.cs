using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using SomaAgent.Registry.Artifacts;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Registry.Artifacts;

/// <summary>Both artifact stores behave alike: content-addressed, whole or absent, the same bytes stored once.</summary>
public abstract class ArtifactStoreContractTests
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract IArtifactStore Store { get; }

    [Theory]
    [InlineData(0)]
    [InlineData(100 * 1024)]
    [InlineData(10 * 1024 * 1024)]
    public async Task Stored_bytes_come_back_unchanged_under_their_sha256(int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);

        var digest = await Store.PutAsync(new MemoryStream(bytes), Ct);

        digest.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        (await ReadAsync(digest)).ShouldBe(bytes);
    }

    [Fact]
    public async Task The_same_bytes_stored_twice_are_one_blob()
    {
        var bytes = RandomNumberGenerator.GetBytes(4096);

        var first = await Store.PutAsync(new MemoryStream(bytes), Ct);
        var second = await Store.PutAsync(new MemoryStream(bytes), Ct);

        second.ShouldBe(first);
        (await ReadAsync(first)).ShouldBe(bytes);
    }

    [Fact]
    public async Task A_deleted_blob_is_gone_and_deleting_it_again_is_fine()
    {
        var digest = await Store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(100)), Ct);
        (await Store.ExistsAsync(digest, Ct)).ShouldBeTrue();

        await Store.DeleteAsync(digest, Ct);
        await Store.DeleteAsync(digest, Ct);

        (await Store.ExistsAsync(digest, Ct)).ShouldBeFalse();
        (await Store.OpenAsync(digest, Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task A_digest_that_is_not_sha256_hex_is_refused_before_any_lookup()
    {
        await Should.ThrowAsync<ArgumentException>(() => Store.OpenAsync("../../etc/passwd", Ct));
        await Should.ThrowAsync<ArgumentException>(() => Store.ExistsAsync(new string('A', 64), Ct));
    }

    private async Task<byte[]> ReadAsync(string digest)
    {
        await using var stream = (await Store.OpenAsync(digest, Ct)).ShouldNotBeNull();
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }
}

public sealed class FolderArtifactStoreTests : ArtifactStoreContractTests, IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("somaagent-artifacts-");

    protected override IArtifactStore Store => new FolderArtifactStore(_root.FullName);

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task A_put_leaves_no_temporary_file_behind()
    {
        await Store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(1000)), Ct);

        Directory.EnumerateFiles(Path.Combine(_root.FullName, "incoming")).ShouldBeEmpty();
    }
}

[Collection(S3Collection.Name)]
public sealed class S3ArtifactStoreTests(S3Server s3) : ArtifactStoreContractTests, IAsyncLifetime, IDisposable
{
    private readonly AmazonS3Client _client = new(
        new BasicAWSCredentials(S3Server.AccessKey, S3Server.SecretKey),
        new AmazonS3Config { ServiceURL = s3.ServiceUrl.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    private S3ArtifactStore _store = null!;

    protected override IArtifactStore Store => _store;

    public async ValueTask InitializeAsync()
    {
        _store = new S3ArtifactStore(_client, $"test-{Guid.NewGuid():N}"[..30]);
        await _store.EnsureBucketAsync(Ct);
        // Creating it again is fine: the registry does so at every start.
        await _store.EnsureBucketAsync(Ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public void Dispose() => _client.Dispose();
}
