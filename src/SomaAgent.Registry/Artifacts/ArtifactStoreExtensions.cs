using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Options;
using SomaAgent.Registry.Artifacts;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the registry's artifact store.</summary>
public static class ArtifactStoreExtensions
{
    /// <summary>S3 when <c>S3:ServiceUrl</c> is set (the bucket is created at start), else the folder <c>{DataDirectory}/artifacts</c>.</summary>
    public static IHostApplicationBuilder AddArtifactStore(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ArtifactStoreOptions>().BindConfiguration(ArtifactStoreOptions.SectionName).ValidateOnStart();
        if (builder.Configuration[$"{ArtifactStoreOptions.SectionName}:ServiceUrl"] is not { Length: > 0 })
        {
            services.AddSingleton<IArtifactStore>(new FolderArtifactStore(Path.Combine(builder.DataDirectory(), "artifacts")));
            return builder;
        }
        services.AddSingleton<IAmazonS3>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ArtifactStoreOptions>>().Value;
            var config = new AmazonS3Config
            {
                ServiceURL = options.ServiceUrl!.ToString(),
                // MinIO and s3rver address buckets by path, not by host name.
                ForcePathStyle = true,
                AuthenticationRegion = options.Region,
            };
            return new AmazonS3Client(new BasicAWSCredentials(options.AccessKey ?? "", options.SecretKey ?? ""), config);
        });
        services.AddSingleton(sp => new S3ArtifactStore(sp.GetRequiredService<IAmazonS3>(), sp.GetRequiredService<IOptions<ArtifactStoreOptions>>().Value.Bucket));
        services.AddSingleton<IArtifactStore>(sp => sp.GetRequiredService<S3ArtifactStore>());
        services.AddHostedService<ArtifactBucketInitializer>();
        return builder;
    }

    /// <summary>Creates the bucket before the registry takes requests.</summary>
    private sealed class ArtifactBucketInitializer(S3ArtifactStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.EnsureBucketAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
