using System.Globalization;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Tests.Registry;
using SomaAgent.Tests.Runtime.Tools.Mcp;

namespace SomaAgent.Tests.Gateway.Registry;

/// <summary>
/// A gateway that forwards the registry's routes to a real registry listening on a loopback port (Kestrel, not an
/// in-memory server), sharing the internal secret as the AppHost has them share it. Embedded (SQLite, packages in a
/// folder) by default; over a PostgreSQL database, with the registry's further settings (e.g. S3), when given.
/// </summary>
public sealed class ForwardingGateway : IAsyncLifetime
{
    private readonly string? _postgres;
    private readonly IReadOnlyDictionary<string, string?> _registrySettings;

    /// <summary>The embedded pair, as the collection fixture.</summary>
    public ForwardingGateway()
        : this(null, new Dictionary<string, string?>())
    {
    }

    internal ForwardingGateway(string? postgres, IReadOnlyDictionary<string, string?> registrySettings)
    {
        _postgres = postgres;
        _registrySettings = registrySettings;
    }

    public const string InternalSecret = "test-internal-secret-0123456789abcdef0123456789";

    /// <summary>A tenant whose requests the gateway limits to a few per minute.</summary>
    public const string LimitedTenant = "forward-limited";

    public const int LimitedRequestsPerMinute = 3;

    /// <summary>The package limit both services apply, small so proving it is cheap.</summary>
    public const int MaxCapsuleBytes = 4 * 1024 * 1024;

    private readonly McpHttpTestServer _mcp = new();

    /// <summary>A model the gateway lists besides the simulated one (an OpenAI-compatible endpoint that is not there).</summary>
    public const string RemoteModel = "remote-model-1";

    internal GatewayApp Gateway { get; private set; } = null!;

    /// <summary>The MCP endpoint of the deployment's HTTP MCP server <c>web</c>: the allow-list capsules' servers are matched against.</summary>
    internal string McpUrl => _mcp.Url;

    internal RegistryApp Registry { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await _mcp.InitializeAsync();
        var port = RedisServer.FreeLoopbackPort();
        var limit = MaxCapsuleBytes.ToString(CultureInfo.InvariantCulture);
        Gateway = new GatewayApp(postgres: _postgres, settings: new Dictionary<string, string?>
        {
            ["services:registry:http:0"] = $"http://127.0.0.1:{port}",
            ["SOMAAGENT_INTERNAL_SECRET"] = InternalSecret,
            ["REGISTRY_MAX_CAPSULE_BYTES"] = limit,
            [$"SomaAgent:RateLimits:Tenants:{LimitedTenant}:RequestsPerMinute"] = LimitedRequestsPerMinute.ToString(CultureInfo.InvariantCulture),
            ["SomaAgent:Tools:Mcp:Servers:web:Transport"] = "http",
            ["SomaAgent:Tools:Mcp:Servers:web:Url"] = _mcp.Url,
            // A second model a capsule may prefer; nothing listens there, so only the choice of model is observable.
            ["SomaAgent:Models:OpenAI:BaseUrl"] = "http://127.0.0.1:9/v1",
            ["SomaAgent:Models:OpenAI:Models:0"] = RemoteModel,
        });
        _ = Gateway.Server;
        var settings = new Dictionary<string, string?>
        {
            ["SOMAAGENT_INTERNAL_SECRET"] = InternalSecret,
            ["REGISTRY_MAX_CAPSULE_BYTES"] = limit,
            ["SomaAgent:DataDirectory"] = Path.Combine(Path.GetDirectoryName(Gateway.DatabaseFile)!, "registry-data"),
        };
        foreach (var (key, value) in _registrySettings)
        {
            settings[key] = value;
        }
        Registry = new RegistryApp(Gateway.DatabaseFile, _postgres, settings);
        Registry.UseKestrel(port);
        Registry.StartServer();
    }

    public async ValueTask DisposeAsync()
    {
        await Registry.DisposeAsync();
        await Gateway.DisposeAsync();
        await _mcp.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ForwardingCollection : ICollectionFixture<ForwardingGateway>
{
    public const string Name = "Gateway forwarding to the registry";
}
