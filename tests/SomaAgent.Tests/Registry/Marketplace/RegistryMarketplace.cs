using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>
/// A gateway (for tenants and keys) and the real registry over its store, with artifacts in a folder, started once
/// for the marketplace tests. Each test makes its own tenants, so tests do not see each other's capsules unless public.
/// </summary>
public sealed class RegistryMarketplace : IAsyncLifetime
{
    private GatewayApp _gateway = null!;

    internal RegistryApp Registry { get; private set; } = null!;

    internal GatewayApp Gateway => _gateway;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _gateway = new GatewayApp();
        _ = _gateway.Server;
        Registry = new RegistryApp(_gateway.DatabaseFile, settings: new Dictionary<string, string?>
        {
            ["SomaAgent:DataDirectory"] = Path.Combine(Path.GetDirectoryName(_gateway.DatabaseFile)!, "registry-data"),
            // Small, so the size limit is cheap to prove; the benchmarks publish 10 MB through a default registry.
            ["REGISTRY_MAX_CAPSULE_BYTES"] = (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        _ = Registry.Server;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await Registry.DisposeAsync();
        await _gateway.DisposeAsync();
    }

    /// <summary>A new tenant, a registry client with its admin key, and a registered signing key.</summary>
    internal Task<Tenant> NewTenantAsync(bool registerKey = true) => Tenant.CreateAsync(_gateway, Registry.CreateClientWith, registerKey);

    /// <summary>A registry client with a new key of <paramref name="tenant"/> holding only <paramref name="scopes"/>.</summary>
    internal async Task<HttpClient> ClientWithScopesAsync(Tenant tenant, params string[] scopes) =>
        Registry.CreateClientWith(SecretOf(await CreateKeyAsync(_gateway, tenant.AdminKey, scopes)));
}

[CollectionDefinition(Name)]
public sealed class MarketplaceCollection : ICollectionFixture<RegistryMarketplace>
{
    public const string Name = "Marketplace";
}

/// <summary>A tenant of the marketplace tests: its registry client and its publisher key.</summary>
internal sealed record Tenant(string Id, string AdminKey, HttpClient Client, TestPublisher Publisher) : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// A new tenant made at <paramref name="gateway"/>, a client from <paramref name="clientFor"/> holding its admin key
    /// (the registry's, or the gateway's for the forwarded routes), and, unless told not to, its signing key registered.
    /// </summary>
    public static async Task<Tenant> CreateAsync(GatewayApp gateway, Func<string, HttpClient> clientFor, bool registerKey = true)
    {
        var (id, admin) = await CreateTenantAsync(gateway);
        var tenant = new Tenant(id, admin, clientFor(admin), new TestPublisher());
        if (registerKey)
        {
            using var registered = await tenant.RegisterKeyAsync(tenant.Publisher.PublicPem);
            registered.StatusCode.ShouldBe(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync(Ct));
        }
        return tenant;
    }

    public Task<HttpResponseMessage> RegisterKeyAsync(string pem, string name = "release key") =>
        Client.PostAsJsonAsync("/v1/signing-keys", new { name, public_key = pem }, Ct);

    /// <summary>Publishes <paramref name="package"/> signed by this tenant's key (or the given signature and key id).</summary>
    public async Task<HttpResponseMessage> PublishAsync(byte[] package, string visibility = "public", string? signature = null, string? keyId = null)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(package);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        form.Add(file, "package", "capsule.tar.gz");
        form.Add(new StringContent(signature ?? Publisher.Sign(package)), "signature");
        form.Add(new StringContent(keyId ?? Publisher.KeyId), "key_id");
        form.Add(new StringContent(visibility), "visibility");
        return await Client.PostAsync("/v1/capsules", form, Ct);
    }

    /// <summary>Publishes a fresh capsule and returns its name; fails the test unless it answers 201.</summary>
    public async Task<string> PublishNewAsync(string version = "1.0.0", string visibility = "public", string? name = null, string? manifest = null)
    {
        name ??= "cap-" + Guid.NewGuid().ToString("N")[..12];
        using var response = await PublishAsync(CapsuleBuilder.Package(name, version, manifest), visibility);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return name;
    }

    public async Task<JsonElement> GetJsonAsync(string url)
    {
        using var response = await Client.GetAsync(url, Ct);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    public Task<HttpResponseMessage> InstallAsync(string capsule, string? version = null) =>
        Client.PostAsJsonAsync("/v1/installations", new { capsule, version }, Ct);

    public void Dispose()
    {
        Client.Dispose();
        Publisher.Dispose();
    }
}

/// <summary>problem+json answers, read for assertions.</summary>
internal static class Problems
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Asserts the status and the problem type's suffix; returns the problem.</summary>
    public static async Task<JsonElement> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", body);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        problem.GetProperty("type").GetString().ShouldBe("urn:somaagent:problem:" + type, body);
        return problem;
    }

    public static string Detail(this JsonElement problem) => problem.GetProperty("detail").GetString()!;
}
