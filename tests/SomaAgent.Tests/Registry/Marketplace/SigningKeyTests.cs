using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>A tenant's publisher keys: ECDSA P-256 public keys only, listed page by page, revoked for good.</summary>
[Collection(MarketplaceCollection.Name)]
public sealed class SigningKeyTests(RegistryMarketplace marketplace)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_registered_key_is_listed_with_its_id_and_read_back()
    {
        using var tenant = await marketplace.NewTenantAsync();

        var listed = await tenant.GetJsonAsync("/v1/signing-keys");
        var key = await tenant.GetJsonAsync($"/v1/signing-keys/{tenant.Publisher.KeyId}");

        listed.GetProperty("data").EnumerateArray().Select(k => k.GetProperty("key_id").GetString()).ShouldBe([tenant.Publisher.KeyId]);
        key.GetProperty("status").GetString().ShouldBe("active");
        key.GetProperty("algorithm").GetString().ShouldBe("ecdsa-p256-sha256");
        key.GetProperty("public_key").GetString()!.Trim().ShouldBe(tenant.Publisher.PublicPem.Trim());
    }

    [Fact]
    public async Task The_same_key_twice_answers_409()
    {
        using var tenant = await marketplace.NewTenantAsync();

        using var again = await tenant.RegisterKeyAsync(tenant.Publisher.PublicPem, "again");

        (await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict")).Detail().ShouldContain("registered already");
    }

    [Fact]
    public async Task A_revoked_key_stays_revoked_and_cannot_be_registered_again()
    {
        using var tenant = await marketplace.NewTenantAsync();
        (await tenant.Client.DeleteAsync($"/v1/signing-keys/{tenant.Publisher.KeyId}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        using var again = await tenant.RegisterKeyAsync(tenant.Publisher.PublicPem);

        (await again.ShouldBeProblemAsync(HttpStatusCode.Conflict, "conflict")).Detail().ShouldContain("stays revoked");
        (await tenant.GetJsonAsync($"/v1/signing-keys/{tenant.Publisher.KeyId}")).GetProperty("status").GetString().ShouldBe("revoked");
        await (await tenant.Client.DeleteAsync($"/v1/signing-keys/{tenant.Publisher.KeyId}", Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task A_private_key_is_refused_with_advice_to_send_the_public_one()
    {
        using var tenant = await marketplace.NewTenantAsync(registerKey: false);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var response = await tenant.RegisterKeyAsync(key.ExportPkcs8PrivateKeyPem());

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).Detail().ShouldContain("private key");
    }

    [Fact]
    public async Task An_RSA_key_and_a_P384_key_are_refused_naming_P256()
    {
        using var tenant = await marketplace.NewTenantAsync(registerKey: false);
        using var rsa = RSA.Create(2048);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        (await (await tenant.RegisterKeyAsync(rsa.ExportSubjectPublicKeyInfoPem())).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).Detail().ShouldContain("P-256");
        (await (await tenant.RegisterKeyAsync(p384.ExportSubjectPublicKeyInfoPem())).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).Detail().ShouldContain("P-256");
    }

    [Fact]
    public async Task Keys_are_listed_page_by_page()
    {
        using var tenant = await marketplace.NewTenantAsync();
        using var second = new TestPublisher();
        using var third = new TestPublisher();
        (await tenant.RegisterKeyAsync(second.PublicPem, "second")).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await tenant.RegisterKeyAsync(third.PublicPem, "third")).StatusCode.ShouldBe(HttpStatusCode.Created);

        var first = await tenant.GetJsonAsync("/v1/signing-keys?limit=2");
        var rest = await tenant.GetJsonAsync($"/v1/signing-keys?limit=2&cursor={first.GetProperty("next_cursor").GetString()}");

        first.GetProperty("data").EnumerateArray().Concat(rest.GetProperty("data").EnumerateArray()).Select(k => k.GetProperty("name").GetString())
            .ShouldBe(["release key", "second", "third"]);
        rest.GetProperty("next_cursor").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Another_tenants_keys_are_neither_listed_nor_revocable()
    {
        using var owner = await marketplace.NewTenantAsync();
        using var other = await marketplace.NewTenantAsync(registerKey: false);

        (await other.GetJsonAsync("/v1/signing-keys")).GetProperty("data").GetArrayLength().ShouldBe(0);
        await (await other.Client.DeleteAsync($"/v1/signing-keys/{owner.Publisher.KeyId}", Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        (await owner.GetJsonAsync($"/v1/signing-keys/{owner.Publisher.KeyId}")).GetProperty("status").GetString().ShouldBe("active");
    }

    [Fact]
    public async Task Registering_needs_a_name_and_a_key()
    {
        using var tenant = await marketplace.NewTenantAsync(registerKey: false);

        using var response = await tenant.Client.PostAsJsonAsync("/v1/signing-keys", new { }, Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).GetProperty("errors").EnumerateObject().Select(e => e.Name)
            .ShouldBe(["name", "public_key"], ignoreOrder: true);
    }
}
