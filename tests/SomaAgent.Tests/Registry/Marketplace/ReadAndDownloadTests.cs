using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using SomaAgent.Tests.Gateway.Security;
using static SomaAgent.Tests.Registry.Signing.ExternalVerifiers;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>Reading the marketplace: search sees public capsules and the tenant's own; downloads give the exact bytes, verifiable by others' tools.</summary>
[Collection(MarketplaceCollection.Name)]
public sealed class ReadAndDownloadTests(RegistryMarketplace marketplace) : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("somaagent-download-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task Search_finds_public_capsules_and_the_tenants_own_private_ones_but_not_others_private_ones()
    {
        var word = "w" + Guid.NewGuid().ToString("N")[..10];
        using var alice = await marketplace.NewTenantAsync();
        using var bob = await marketplace.NewTenantAsync();
        var alicePublic = await alice.PublishNewAsync(name: $"{word}-alice-public");
        var alicePrivate = await alice.PublishNewAsync(name: $"{word}-alice-private", visibility: "private");
        var bobPrivate = await bob.PublishNewAsync(name: $"{word}-bob-private", visibility: "private");

        var seenByBob = await NamesAsync(bob, $"/v1/capsules?q={word}");
        var seenByAlice = await NamesAsync(alice, $"/v1/capsules?q={word}");

        seenByBob.ShouldBe([alicePublic, bobPrivate]);
        seenByAlice.ShouldBe([alicePrivate, alicePublic]);
    }

    [Fact]
    public async Task Search_filters_by_words_of_the_description_tag_and_publisher_in_any_case()
    {
        var word = "w" + Guid.NewGuid().ToString("N")[..10];
        using var tenant = await marketplace.NewTenantAsync();
        var forecast = await tenant.PublishNewAsync(name: $"{word}-a", manifest: CapsuleBuilder.Manifest($"{word}-a", "1.0.0",
            description: $"Forecasts for {word.ToUpperInvariant()} sailors.", publisher: "Sea Labs", tags: ["marine", "weather"]));
        var taxes = await tenant.PublishNewAsync(name: $"{word}-b", manifest: CapsuleBuilder.Manifest($"{word}-b", "1.0.0",
            description: "Files taxes.", publisher: "Ledger Co", tags: ["finance"]));

        (await NamesAsync(tenant, $"/v1/capsules?q=SAILORS&publisher=sea%20labs")).ShouldContain(forecast);
        (await NamesAsync(tenant, $"/v1/capsules?q={word}&tag=finance")).ShouldBe([taxes]);
        (await NamesAsync(tenant, $"/v1/capsules?q={word}&publisher=LEDGER%20CO")).ShouldBe([taxes]);
        (await NamesAsync(tenant, $"/v1/capsules?q={word}&tag=marine")).ShouldBe([forecast]);
    }

    [Fact]
    public async Task Search_pages_with_limit_and_cursor_and_every_capsule_appears_once()
    {
        var word = "w" + Guid.NewGuid().ToString("N")[..10];
        using var tenant = await marketplace.NewTenantAsync();
        var published = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            published.Add(await tenant.PublishNewAsync(name: $"{word}-{i}"));
        }

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await tenant.GetJsonAsync($"/v1/capsules?q={word}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page.GetProperty("data").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));
            cursor = page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null);

        seen.ShouldBe(published);
        pages.ShouldBe(3);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("cursor=not-ours", "cursor")]
    public async Task A_bad_page_query_answers_400_naming_it(string query, string field)
    {
        using var tenant = await marketplace.NewTenantAsync(registerKey: false);

        using var response = await tenant.Client.GetAsync($"/v1/capsules?{query}", Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "validation")).GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue();
    }

    [Fact]
    public async Task A_capsule_lists_its_versions_newest_first_and_latest_is_the_highest_release()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = await tenant.PublishNewAsync("1.2.0");
        foreach (var version in (string[])["1.10.0", "2.0.0-rc.1", "1.9.3"])
        {
            await tenant.PublishNewAsync(version, name: name);
        }

        var capsule = await tenant.GetJsonAsync($"/v1/capsules/{name}");

        capsule.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetString())
            .ShouldBe(["2.0.0-rc.1", "1.10.0", "1.9.3", "1.2.0"]);
        capsule.GetProperty("latest_version").GetString().ShouldBe("1.10.0");
        capsule.GetProperty("owned").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Another_tenants_private_capsule_answers_exactly_like_a_missing_one_and_is_audited()
    {
        using var owner = await marketplace.NewTenantAsync();
        using var other = await marketplace.NewTenantAsync();
        var name = await owner.PublishNewAsync(visibility: "private");
        var missing = "cap-" + Guid.NewGuid().ToString("N")[..12];

        var foreign = await (await other.Client.GetAsync($"/v1/capsules/{name}", Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        var absent = await (await other.Client.GetAsync($"/v1/capsules/{missing}", Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");

        foreign.Detail().Replace(name, "NAME", StringComparison.Ordinal).ShouldBe(absent.Detail().Replace(missing, "NAME", StringComparison.Ordinal));
        foreach (var path in (string[])[$"/v1/capsules/{name}/1.0.0", $"/v1/capsules/{name}/1.0.0/package", $"/v1/capsules/{name}/1.0.0/signature", $"/v1/capsules/{name}/1.0.0/bundle"])
        {
            await (await other.Client.GetAsync(path, Ct)).ShouldBeProblemAsync(HttpStatusCode.NotFound, "not-found");
        }
        await AuditFile.WaitForAsync(marketplace.Registry.AuditFile,
            e => PublishTests.Is(e, other, "cross_tenant", "deny", $"capsule:{name}"), Ct);
    }

    [Fact]
    public async Task A_download_gives_the_published_bytes_with_their_digest_and_counts_once()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = "cap-" + Guid.NewGuid().ToString("N")[..12];
        var package = CapsuleBuilder.PackageOfSize(name, "1.0.0", 200 * 1024);
        (await tenant.PublishAsync(package)).StatusCode.ShouldBe(HttpStatusCode.Created);

        using var response = await tenant.Client.GetAsync($"/v1/capsules/{name}/1.0.0/package", Ct);
        await tenant.Client.GetStringAsync($"/v1/capsules/{name}/1.0.0/signature", Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/gzip");
        response.Content.Headers.ContentDisposition!.FileName.ShouldBe($"{name}-1.0.0.tar.gz");
        (await response.Content.ReadAsByteArrayAsync(Ct)).ShouldBe(package);
        response.Headers.GetValues("Repr-Digest").Single().ShouldBe($"sha-256=:{Convert.ToBase64String(SHA256.HashData(package))}:");
        response.Headers.ETag!.Tag.ShouldBe($"\"sha256:{Convert.ToHexStringLower(SHA256.HashData(package))}\"");
        (await tenant.GetJsonAsync($"/v1/capsules/{name}/1.0.0")).GetProperty("downloads").GetInt64().ShouldBe(1);
        (await tenant.GetJsonAsync($"/v1/capsules/{name}")).GetProperty("downloads").GetInt64().ShouldBe(1);
    }

    [Fact]
    public async Task The_downloaded_signature_is_verified_ok_by_openssl_with_the_publishers_public_key()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = await tenant.PublishNewAsync();
        var package = Save("package.tar.gz", await tenant.Client.GetByteArrayAsync($"/v1/capsules/{name}/1.0.0/package", Ct));
        var signature = Save("package.sig", Convert.FromBase64String(await tenant.Client.GetStringAsync($"/v1/capsules/{name}/1.0.0/signature", Ct)));
        var publicKey = Save("cosign.pub", System.Text.Encoding.ASCII.GetBytes(tenant.Publisher.PublicPem));

        OpenSsl("dgst", "-sha256", "-verify", publicKey, "-signature", signature, package).Trim().ShouldBe("Verified OK");
    }

    [Fact]
    public async Task The_downloaded_bundle_is_verified_by_sigstores_own_verifier_and_names_the_key()
    {
        using var tenant = await marketplace.NewTenantAsync();
        var name = await tenant.PublishNewAsync();
        var package = Save("package.tar.gz", await tenant.Client.GetByteArrayAsync($"/v1/capsules/{name}/1.0.0/package", Ct));
        var bundleJson = await tenant.Client.GetStringAsync($"/v1/capsules/{name}/1.0.0/bundle", Ct);
        var bundle = Save("package.sigstore.json", System.Text.Encoding.UTF8.GetBytes(bundleJson));
        var publicKey = Save("cosign.pub", System.Text.Encoding.ASCII.GetBytes(tenant.Publisher.PublicPem));

        var (exitCode, output) = await SigstoreVerifyAsync(bundle, package, publicKey, tenant.Publisher.KeyId);

        exitCode.ShouldBe(0, output);
        output.Trim().ShouldBe("verified");
        JsonDocument.Parse(bundleJson).RootElement.GetProperty("verificationMaterial").GetProperty("publicKey").GetProperty("hint").GetString()
            .ShouldBe(tenant.Publisher.KeyId);
    }

    [Fact]
    public async Task A_key_with_only_sessions_scopes_cannot_read_the_marketplace()
    {
        using var tenant = await marketplace.NewTenantAsync(registerKey: false);
        using var sessionsOnly = await marketplace.ClientWithScopesAsync(tenant, "sessions:read", "sessions:write");

        using var response = await sessionsOnly.GetAsync("/v1/capsules", Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden")).Detail().ShouldContain("capsules:read");
    }

    private static async Task<List<string>> NamesAsync(Tenant tenant, string url) =>
        [.. (await tenant.GetJsonAsync(url)).GetProperty("data").EnumerateArray().Select(c => c.GetProperty("name").GetString()!)];

    private string Save(string name, byte[] content)
    {
        var path = Path.Combine(_folder.FullName, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
