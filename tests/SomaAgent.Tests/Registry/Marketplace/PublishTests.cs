using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using SomaAgent.Tests.Gateway.Security;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>Publishing: a signed, linted, safe package becomes a version; anything else is refused whole, saying why.</summary>
[Collection(MarketplaceCollection.Name)]
public sealed class PublishTests(RegistryMarketplace marketplace)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_signed_package_is_published_with_its_manifest_readme_digest_and_a_valid_signature()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var package = CapsuleBuilder.Package("weather-" + Guid.NewGuid().ToString("N")[..8], "1.2.0");

        using var response = await tenant.PublishAsync(package);

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        var version = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var capsule = version.GetProperty("name").GetString()!;
        response.Headers.Location!.ToString().ShouldBe($"/v1/capsules/{capsule}/1.2.0");
        version.GetProperty("version").GetString().ShouldBe("1.2.0");
        version.GetProperty("digest").GetString().ShouldBe("sha256:" + Convert.ToHexStringLower(SHA256.HashData(package)));
        version.GetProperty("size").GetInt64().ShouldBe(package.Length);
        version.GetProperty("key_id").GetString().ShouldBe(tenant.Publisher.KeyId);
        version.GetProperty("signature_status").GetString().ShouldBe("valid");
        version.GetProperty("manifest").GetProperty("publisher").GetString().ShouldBe("Acme Labs");
        version.GetProperty("manifest").GetProperty("tools").GetProperty("builtin")[0].GetString().ShouldBe("calculator");
        version.GetProperty("readme").GetString().ShouldStartWith($"# {capsule}");
        version.GetProperty("visibility").GetString().ShouldBe("public");
        version.GetProperty("yanked").GetBoolean().ShouldBeFalse();
        version.GetProperty("downloads").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task The_same_name_and_version_again_answers_409_and_the_first_stays()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = await tenant.PublishNewAsync("1.0.0");
        var first = await tenant.GetJsonAsync($"/v1/capsules/{name}/1.0.0");

        using var again = await tenant.PublishAsync(CapsuleBuilder.Package(name, "1.0.0", CapsuleBuilder.Manifest(name, "1.0.0", "Something else.")));

        (await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict")).Detail().ShouldContain("published already");
        (await tenant.GetJsonAsync($"/v1/capsules/{name}/1.0.0")).GetProperty("digest").GetString().ShouldBe(first.GetProperty("digest").GetString());
    }

    [Fact]
    public async Task Another_tenant_publishing_an_owned_name_gets_403()
    {
        using var owner = await marketplace.NewTenantAsync();
        using var other = await marketplace.NewTenantAsync();
        var name = await owner.PublishNewAsync("1.0.0");

        using var response = await other.PublishAsync(CapsuleBuilder.Package(name, "2.0.0"));

        (await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden")).Detail().ShouldContain("belongs to another tenant");
        (await owner.GetJsonAsync($"/v1/capsules/{name}")).GetProperty("versions").GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task A_package_changed_after_signing_is_rejected_and_nothing_is_stored()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = "cap-" + Guid.NewGuid().ToString("N")[..12];
        var signed = CapsuleBuilder.Package(name, "1.0.0");
        var changed = CapsuleBuilder.Package(name, "1.0.0", null, ("extra.txt", "slipped in"));

        using var response = await tenant.PublishAsync(changed, signature: tenant.Publisher.Sign(signed));

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "signature-rejected")).Detail().ShouldContain("does not verify");
        (await tenant.Client.GetAsync($"/v1/capsules/{name}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_changed_signature_is_rejected()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var package = CapsuleBuilder.Package("cap-" + Guid.NewGuid().ToString("N")[..12], "1.0.0");
        var signature = Convert.FromBase64String(tenant.Publisher.Sign(package));
        signature[^1] ^= 0x01;

        using var response = await tenant.PublishAsync(package, signature: Convert.ToBase64String(signature));

        await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "signature-rejected");
    }

    [Fact]
    public async Task A_signature_that_is_not_base64_DER_is_rejected_saying_what_a_signature_looks_like()
    {
        using var tenant = await marketplace.NewTenantAsync();

        using var response = await tenant.PublishAsync(CapsuleBuilder.Package("cap-" + Guid.NewGuid().ToString("N")[..12], "1.0.0"), signature: "bm90IGEgc2lnbmF0dXJl");

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "signature-rejected")).Detail().ShouldContain("base64 DER");
    }

    [Fact]
    public async Task A_key_the_tenant_never_registered_is_rejected()
    {
        using var tenant = await marketplace.NewTenantAsync();
        using var stranger = new TestPublisher();
        var package = CapsuleBuilder.Package("cap-" + Guid.NewGuid().ToString("N")[..12], "1.0.0");

        using var response = await tenant.PublishAsync(package, signature: stranger.Sign(package), keyId: stranger.KeyId);

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "signature-rejected")).Detail().ShouldContain("not registered");
    }

    [Fact]
    public async Task Another_tenants_registered_key_does_not_sign_for_this_tenant()
    {
        using var tenant = await marketplace.NewTenantAsync();
        using var other = await marketplace.NewTenantAsync();
        var package = CapsuleBuilder.Package("cap-" + Guid.NewGuid().ToString("N")[..12], "1.0.0");

        using var response = await tenant.PublishAsync(package, signature: other.Publisher.Sign(package), keyId: other.Publisher.KeyId);

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "signature-rejected")).Detail().ShouldContain("not registered");
    }

    [Fact]
    public async Task A_revoked_key_no_longer_signs()
    {
        using var tenant = await marketplace.NewTenantAsync();
        (await tenant.Client.DeleteAsync($"/v1/signing-keys/{tenant.Publisher.KeyId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        using var response = await tenant.PublishAsync(CapsuleBuilder.Package("cap-" + Guid.NewGuid().ToString("N")[..12], "1.0.0"));

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "signature-rejected")).Detail().ShouldContain("revoked");
    }

    [Fact]
    public async Task A_manifest_with_problems_is_refused_listing_every_problem_with_its_path_and_line()
    {
        using var tenant = await marketplace.NewTenantAsync();
        const string manifest = "name: Bad_Name\nversion: 1.0\ndescription: x\npublisher: Acme\n";

        using var response = await tenant.PublishAsync(CapsuleBuilder.Package("ignored", "1.0.0", manifest));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "invalid-capsule");
        var problems = problem.GetProperty("problems").EnumerateArray().ToList();
        problems.Select(p => p.GetProperty("path").GetString()).ShouldBe(["name", "version"], ignoreOrder: true);
        problems.Select(p => p.GetProperty("line").GetInt32()).ShouldBe([1, 2], ignoreOrder: true);
        problem.Detail().ShouldContain("name (line 1)");
    }

    [Fact]
    public async Task A_package_with_a_path_leaving_it_is_refused()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = "cap-" + Guid.NewGuid().ToString("N")[..12];

        using var response = await tenant.PublishAsync(CapsuleBuilder.Package(name, "1.0.0", null, ("../outside.sh", "rm -rf /")));

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "invalid-capsule")).Detail().ShouldContain("leaves the package");
    }

    [Fact]
    public async Task A_readme_the_manifest_names_must_be_in_the_package()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = "cap-" + Guid.NewGuid().ToString("N")[..12];
        var manifest = CapsuleBuilder.Manifest(name, "1.0.0").Replace("readme: README.md", "readme: docs/GUIDE.md", StringComparison.Ordinal);

        using var response = await tenant.PublishAsync(CapsuleBuilder.Package(name, "1.0.0", manifest));

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnprocessableEntity, "invalid-capsule")).Detail().ShouldContain("docs/GUIDE.md");
    }

    [Fact]
    public async Task A_package_over_REGISTRY_MAX_CAPSULE_BYTES_answers_413()
    {
        using var tenant = await marketplace.NewTenantAsync();

        using var response = await tenant.PublishAsync(CapsuleBuilder.PackageOfSize("cap-" + Guid.NewGuid().ToString("N")[..12], "1.0.0", 6 * 1024 * 1024));

        (await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "payload-too-large")).Detail().ShouldContain("REGISTRY_MAX_CAPSULE_BYTES");
    }

    [Fact]
    public async Task Missing_fields_are_each_named()
    {
        using var tenant = await marketplace.NewTenantAsync();
        using var form = new MultipartFormDataContent { { new StringContent("secret"), "visibility" } };

        using var response = await tenant.Client.PostAsync("/v1/capsules", form, Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation");
        problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldBe(["package", "signature", "key_id", "visibility"], ignoreOrder: true);
    }

    [Fact]
    public async Task A_JSON_body_answers_415_naming_the_form_fields()
    {
        using var tenant = await marketplace.NewTenantAsync();

        using var response = await tenant.Client.PostAsJsonAsync("/v1/capsules", new { name = "x" }, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported-media-type")).Detail().ShouldStartWith("Send the capsule as multipart/form-data");
    }

    [Fact]
    public async Task A_key_without_capsules_publish_cannot_publish()
    {
        using var tenant = await marketplace.NewTenantAsync();
        using var reader = await marketplace.ClientWithScopesAsync(tenant, "capsules:read", "capsules:install");
        using var form = new MultipartFormDataContent { { new StringContent("public"), "visibility" } };

        using var response = await reader.PostAsync("/v1/capsules", form, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden")).Detail().ShouldContain("capsules:publish");
    }

    [Fact]
    public async Task Publishing_and_its_refusals_are_audited()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = await tenant.PublishNewAsync();
        using var refused = await tenant.PublishAsync(CapsuleBuilder.Package(name, "1.0.0"));

        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile, e => Is(e, tenant, "capsule_published", "allow", $"{name} 1.0.0 published"), Ct);
        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile, e => Is(e, tenant, "capsule_published", "deny", "published already"), Ct);
        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile, e => Is(e, tenant, "signing_key_added", "allow", tenant.Publisher.KeyId), Ct);
    }

    internal static bool Is(JsonElement entry, Tenant tenant, string auditEvent, string decision, string reason) =>
        entry.GetProperty("tenant").GetString() == tenant.Id
        && entry.GetProperty("event").GetString() == auditEvent
        && entry.GetProperty("decision").GetString() == decision
        && entry.GetProperty("reason").GetString()!.Contains(reason, StringComparison.Ordinal);
}
