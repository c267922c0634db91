using System.Reflection;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// A real S3 server (a MinIO stand-in): npm's s3rver 3.7.1 on a random loopback port with a private data folder.
/// It does not check signatures; any access key works. Clients must use path-style addressing and no chunk encoding.
/// </summary>
public sealed class S3Server : IAsyncLifetime
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly DirectoryInfo _data = System.IO.Directory.CreateTempSubdirectory("somaagent-s3-");
    private NodeServer? _server;

    /// <summary>The S3 endpoint (<c>S3:ServiceUrl</c>), e.g. <c>http://127.0.0.1:PORT</c>.</summary>
    public Uri ServiceUrl { get; private set; } = null!;

    /// <summary>The folder of s3rver's package.json in the source tree (node_modules are installed there).</summary>
    public static string Directory { get; } = typeof(S3Server).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "S3rverDirectory").Value!;

    public async ValueTask InitializeAsync()
    {
        var port = RedisServer.FreeLoopbackPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        (_server, _) = await NodeServer.StartAsync(Directory, "s3rver", "S3rver listening on ",
            "node_modules/s3rver/bin/s3rver.js", "-d", _data.FullName, "-a", "127.0.0.1", "-p", port);
        ServiceUrl = new Uri($"http://127.0.0.1:{port}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _data.Delete(recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class S3Collection : ICollectionFixture<S3Server>
{
    public const string Name = "S3";
}
