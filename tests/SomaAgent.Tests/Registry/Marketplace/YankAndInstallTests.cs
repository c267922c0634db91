using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SomaAgent.Tests.Gateway.Security;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>Yanking stops new installs and flags existing ones; installing checks the version and its signature now.</summary>
[Collection(MarketplaceCollection.Name)]
public sealed class YankAndInstallTests(RegistryMarketplace marketplace)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Another_tenant_installs_a_public_capsules_latest_version_and_sees_it_active()
    {
        using var publisher = await marketplace.NewTenantAsync();
        using var user = await marketplace.NewTenantAsync(registerKey: false);
        var name = await publisher.PublishNewAsync("1.0.0");
        await publisher.PublishNewAsync("1.1.0", name: name);

        using var response = await user.InstallAsync(name);

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        var installed = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        installed.GetProperty("capsule").GetString().ShouldBe(name);
        installed.GetProperty("version").GetString().ShouldBe("1.1.0");
        installed.GetProperty("status").GetString().ShouldBe("active");
        installed.GetProperty("signature_status").GetString().ShouldBe("valid");
        response.Headers.Location!.ToString().ShouldBe($"/v1/installations/{installed.GetProperty("id").GetGuid()}");
        (await user.GetJsonAsync(response.Headers.Location.ToString())).GetProperty("version").GetString().ShouldBe("1.1.0");
        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile, e => PublishTests.Is(e, user, "capsule_installed", "allow", $"{name} 1.1.0 installed"), Ct);
    }

    [Fact]
    public async Task Name_at_version_installs_that_version_and_installing_it_again_answers_409()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = await tenant.PublishNewAsync("1.0.0");
        await tenant.PublishNewAsync("2.0.0", name: name);

        (await tenant.InstallAsync($"{name}@1.0.0")).StatusCode.ShouldBe(HttpStatusCode.Created);
        using var again = await tenant.InstallAsync(name, "1.0.0");

        (await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict")).Detail().ShouldContain("installed already");
    }

    [Fact]
    public async Task A_yanked_version_cannot_be_installed_but_an_existing_installation_keeps_working_flagged()
    {
        using var publisher = await marketplace.NewTenantAsync();
        using var user = await marketplace.NewTenantAsync(registerKey: false);
        var name = await publisher.PublishNewAsync("1.0.0");
        using var installed = await user.InstallAsync(name, "1.0.0");
        var id = (await installed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        using var late = await marketplace.NewTenantAsync(registerKey: false);

        using var yank = await publisher.Client.PostAsJsonAsync($"/v1/capsules/{name}/1.0.0/yank", new { reason = "leaks the system prompt" }, Ct);

        yank.StatusCode.ShouldBe(HttpStatusCode.OK, await yank.Content.ReadAsStringAsync(Ct));
        var refused = await (await late.InstallAsync(name, "1.0.0")).ShouldBeProblemAsync(HttpStatusCode.Conflict, "capsule-yanked");
        refused.Detail().ShouldContain("leaks the system prompt");
        var kept = await user.GetJsonAsync($"/v1/installations/{id}");
        kept.GetProperty("status").GetString().ShouldBe("yanked");
        kept.GetProperty("yank_reason").GetString().ShouldBe("leaks the system prompt");
        var version = await publisher.GetJsonAsync($"/v1/capsules/{name}/1.0.0");
        version.GetProperty("yanked").GetBoolean().ShouldBeTrue();
        (await publisher.GetJsonAsync($"/v1/capsules/{name}")).GetProperty("latest_version").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Unyanking_makes_the_version_installable_and_latest_again()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = await tenant.PublishNewAsync("1.0.0");
        await tenant.PublishNewAsync("1.1.0", name: name);
        (await tenant.Client.PostAsJsonAsync($"/v1/capsules/{name}/1.1.0/yank", new { reason = "broken" }, Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await tenant.GetJsonAsync($"/v1/capsules/{name}")).GetProperty("latest_version").GetString().ShouldBe("1.0.0");

        using var unyank = await tenant.Client.PostAsJsonAsync($"/v1/capsules/{name}/1.1.0/unyank", new { reason = "fixed upstream" }, Ct);

        unyank.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await tenant.GetJsonAsync($"/v1/capsules/{name}")).GetProperty("latest_version").GetString().ShouldBe("1.1.0");
        (await tenant.InstallAsync(name)).StatusCode.ShouldBe(HttpStatusCode.Created);
        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile, e => PublishTests.Is(e, tenant, "capsule_yanked", "allow", $"{name} 1.1.0 yanked: broken"), Ct);
        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile, e => PublishTests.Is(e, tenant, "capsule_unyanked", "allow", $"{name} 1.1.0 unyanked: fixed upstream"), Ct);
    }

    [Fact]
    public async Task Only_the_owner_yanks_another_tenant_gets_403_on_a_public_capsule_and_404_on_a_private_one()
    {
        using var owner = await marketplace.NewTenantAsync();
        using var other = await marketplace.NewTenantAsync();
        var open = await owner.PublishNewAsync();
        var hidden = await owner.PublishNewAsync(visibility: "private");

        using var onPublic = await other.Client.PostAsJsonAsync($"/v1/capsules/{open}/1.0.0/yank", new { reason = "mine now" }, Ct);
        using var onPrivate = await other.Client.PostAsJsonAsync($"/v1/capsules/{hidden}/1.0.0/yank", new { reason = "mine now" }, Ct);

        (await onPublic.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden")).Detail().ShouldContain("only its owner");
        await onPrivate.ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        (await owner.GetJsonAsync($"/v1/capsules/{open}/1.0.0")).GetProperty("yanked").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task A_yank_needs_a_reason()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = await tenant.PublishNewAsync();

        using var response = await tenant.Client.PostAsJsonAsync($"/v1/capsules/{name}/1.0.0/yank", new { reason = " " }, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).Detail().ShouldContain("reason is required");
    }

    [Fact]
    public async Task Revoking_the_signing_key_stops_installs_and_flags_installations_and_versions()
    {
        using var publisher = await marketplace.NewTenantAsync();
        using var user = await marketplace.NewTenantAsync(registerKey: false);
        var name = await publisher.PublishNewAsync("1.0.0");
        using var installed = await user.InstallAsync(name);
        var id = (await installed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();

        (await publisher.Client.DeleteAsync($"/v1/signing-keys/{publisher.Publisher.KeyId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        using var late = await marketplace.NewTenantAsync(registerKey: false);
        (await (await late.InstallAsync(name)).ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "signature-rejected")).Detail().ShouldContain("revoked");
        var flagged = await user.GetJsonAsync($"/v1/installations/{id}");
        flagged.GetProperty("status").GetString().ShouldBe("signature_invalid");
        flagged.GetProperty("signature_status").GetString().ShouldBe("key_revoked");
        (await user.GetJsonAsync($"/v1/capsules/{name}/1.0.0")).GetProperty("signature_status").GetString().ShouldBe("key_revoked");
        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile, e => PublishTests.Is(e, late, "capsule_installed", "deny", "revoked"), Ct);
        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile, e => PublishTests.Is(e, publisher, "signing_key_revoked", "allow", publisher.Publisher.KeyId), Ct);
    }

    [Fact]
    public async Task Installations_list_newest_first_page_by_page_and_can_be_removed()
    {
        using var publisher = await marketplace.NewTenantAsync();
        using var user = await marketplace.NewTenantAsync(registerKey: false);
        var names = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var name = await publisher.PublishNewAsync();
            (await user.InstallAsync(name)).StatusCode.ShouldBe(HttpStatusCode.Created);
            names.Add(name);
        }

        var first = await user.GetJsonAsync("/v1/installations?limit=2");
        var second = await user.GetJsonAsync($"/v1/installations?limit=2&cursor={first.GetProperty("next_cursor").GetString()}");
        var listed = first.GetProperty("data").EnumerateArray().Concat(second.GetProperty("data").EnumerateArray()).ToList();

        listed.Select(i => i.GetProperty("capsule").GetString()).ShouldBe(Enumerable.Reverse(names));
        second.GetProperty("next_cursor").ValueKind.ShouldBe(JsonValueKind.Null);
        var removed = listed[0].GetProperty("id").GetGuid();
        (await user.Client.DeleteAsync($"/v1/installations/{removed}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await user.Client.GetAsync($"/v1/installations/{removed}", Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile, e => PublishTests.Is(e, user, "capsule_uninstalled", "allow", removed.ToString()), Ct);
    }

    [Fact]
    public async Task Another_tenant_cannot_install_a_private_capsule()
    {
        using var owner = await marketplace.NewTenantAsync();
        using var other = await marketplace.NewTenantAsync(registerKey: false);
        var name = await owner.PublishNewAsync(visibility: "private");

        await (await other.InstallAsync(name)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        (await owner.InstallAsync(name)).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_key_without_capsules_install_cannot_install()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = await tenant.PublishNewAsync();
        using var reader = await marketplace.ClientWithScopesAsync(tenant, "capsules:read");

        using var response = await reader.PostAsJsonAsync("/v1/installations", new { capsule = name }, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden")).Detail().ShouldContain("capsules:install");
    }
}
