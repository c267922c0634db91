using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>
/// With <c>OPENFGA_URL</c> set, capsule access lives in OpenFGA's model: the owner is the capsule's <c>tenant</c>, and a
/// public capsule's <c>reader</c> is every tenant (<c>tenant:*</c>).
/// </summary>
public sealed class OpenFgaCapsuleAccessTests : IAsyncLifetime
{
    private readonly OpenFgaFake _openFga = new();
    private GatewayApp _gateway = null!;
    private RegistryApp _registry = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await _openFga.InitializeAsync();
        var settings = new Dictionary<string, string?> { ["OPENFGA_URL"] = _openFga.Url.ToString() };
        _gateway = new GatewayApp(settings: settings);
        _ = _gateway.Server;
        _registry = new RegistryApp(_gateway.DatabaseFile, settings: new Dictionary<string, string?>(settings)
        {
            ["SomaAgent:DataDirectory"] = Path.Combine(Path.GetDirectoryName(_gateway.DatabaseFile)!, "registry-data"),
        });
        _ = _registry.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await _registry.DisposeAsync();
        await _gateway.DisposeAsync();
        await _openFga.DisposeAsync();
    }

    [Fact]
    public async Task Publishing_writes_the_owner_and_a_public_capsules_every_tenant_reader()
    {
        using var owner = await TenantAsync();

        var open = await owner.PublishNewAsync(visibility: "public");
        var hidden = await owner.PublishNewAsync(visibility: "private");

        _openFga.Tuples.ShouldContain($"tenant:{owner.Id} tenant capsule:{open}");
        _openFga.Tuples.ShouldContain($"tenant:* reader capsule:{open}");
        _openFga.Tuples.ShouldContain($"tenant:{owner.Id} tenant capsule:{hidden}");
        _openFga.Tuples.ShouldNotContain($"tenant:* reader capsule:{hidden}");
    }

    [Fact]
    public async Task A_public_capsule_is_read_by_another_tenant_and_a_private_one_answers_404_after_OpenFGA_says_no()
    {
        using var owner = await TenantAsync();
        using var other = await TenantAsync(registerKey: false);
        var open = await owner.PublishNewAsync(visibility: "public");
        var hidden = await owner.PublishNewAsync(visibility: "private");
        var checks = _openFga.Checks;

        (await other.Client.GetAsync($"/v1/capsules/{open}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await other.Client.GetAsync($"/v1/capsules/{hidden}", Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");

        _openFga.Checks.ShouldBeGreaterThanOrEqualTo(checks + 2);
        (await owner.Client.GetAsync($"/v1/capsules/{hidden}", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Publishing_a_version_as_private_takes_the_every_tenant_reader_away()
    {
        using var owner = await TenantAsync();
        using var other = await TenantAsync(registerKey: false);
        var name = await owner.PublishNewAsync("1.0.0", visibility: "public");

        await owner.PublishNewAsync("1.1.0", visibility: "private", name: name);

        _openFga.Tuples.ShouldNotContain($"tenant:* reader capsule:{name}");
        await (await other.Client.GetAsync($"/v1/capsules/{name}", Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task An_installation_gets_its_tenant_tuple_and_another_tenant_cannot_read_it()
    {
        using var owner = await TenantAsync();
        using var other = await TenantAsync(registerKey: false);
        var name = await owner.PublishNewAsync();

        using var installed = await owner.InstallAsync(name);
        var id = (await installed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        _openFga.Tuples.ShouldContain($"tenant:{owner.Id} tenant capsule_installation:{id}");
        await (await other.Client.GetAsync($"/v1/installations/{id}", Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task OpenFGA_down_means_503_never_a_read_let_through()
    {
        using var owner = await TenantAsync();
        var name = await owner.PublishNewAsync();
        _openFga.Failing = true;
        try
        {
            await (await owner.Client.GetAsync($"/v1/capsules/{name}", Ct)).ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable, "access-check-unavailable");
        }
        finally
        {
            _openFga.Failing = false;
        }
    }

    private Task<Tenant> TenantAsync(bool registerKey = true) => Tenant.CreateAsync(_gateway, _registry.CreateClientWith, registerKey);
}
