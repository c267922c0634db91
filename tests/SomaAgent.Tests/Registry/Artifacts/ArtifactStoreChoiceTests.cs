using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Registry.Artifacts;
using SomaAgent.Tests.Infrastructure;

namespace SomaAgent.Tests.Registry.Artifacts;

/// <summary>The registry keeps artifacts on S3 when S3 settings are given (creating its bucket at start), else in its data folder.</summary>
[Collection(S3Collection.Name)]
public sealed class ArtifactStoreChoiceTests(S3Server s3)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_S3_settings_the_registry_creates_its_bucket_at_start_and_stores_there()
    {
        var folder = Directory.CreateTempSubdirectory("somaagent-registry-s3-");
        await using var registry = new RegistryApp(Path.Combine(folder.FullName, "somaagent.db"), settings: new Dictionary<string, string?>
        {
            ["S3:ServiceUrl"] = s3.ServiceUrl.ToString(),
            ["S3:AccessKey"] = S3Server.AccessKey,
            ["S3:SecretKey"] = S3Server.SecretKey,
            ["S3:Bucket"] = $"registry-{Guid.NewGuid():N}"[..24],
        });
        _ = registry.Server;

        var store = registry.Services.GetRequiredService<IArtifactStore>().ShouldBeOfType<S3ArtifactStore>();
        var digest = await store.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(1000)), Ct);
        (await store.ExistsAsync(digest, Ct)).ShouldBeTrue();
    }

    [Fact]
    public void Without_S3_settings_artifacts_go_to_the_data_folder()
    {
        var folder = Directory.CreateTempSubdirectory("somaagent-registry-folder-");
        var data = Path.Combine(folder.FullName, "data");
        using var registry = new RegistryApp(Path.Combine(folder.FullName, "somaagent.db"), settings: new Dictionary<string, string?>
        {
            ["SomaAgent:DataDirectory"] = data,
        });
        _ = registry.Server;

        registry.Services.GetRequiredService<IArtifactStore>().ShouldBeOfType<FolderArtifactStore>()
            .Root.ShouldBe(Path.Combine(data, "artifacts"));
    }
}
