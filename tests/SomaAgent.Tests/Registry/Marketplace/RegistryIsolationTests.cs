using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>No registry route lets one tenant see or change another tenant's private capsule, keys or installations.</summary>
[Collection(MarketplaceCollection.Name)]
public sealed class RegistryIsolationTests(RegistryMarketplace marketplace)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_route_walked_by_another_tenants_admin_leaks_and_changes_nothing()
    {
        using var alice = await marketplace.NewTenantAsync();
        var secretName = await alice.PublishNewAsync("1.0.0", visibility: "private", name: "secret-" + Guid.NewGuid().ToString("N")[..10]);
        using var installed = await alice.InstallAsync(secretName);
        var installation = (await installed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var before = await SnapshotAsync(alice, secretName, installation);
        using var bob = await marketplace.NewTenantAsync();
        using var bobsOtherKey = new TestPublisher();

        var operations = await OperationsAsync();
        foreach (var (path, method) in operations)
        {
            var url = path
                .Replace("{name}", secretName, StringComparison.Ordinal)
                .Replace("{version}", "1.0.0", StringComparison.Ordinal)
                .Replace("{keyId}", alice.Publisher.KeyId, StringComparison.Ordinal)
                .Replace("{id}", installation.ToString(), StringComparison.Ordinal)
                + (path.EndsWith("/resolve", StringComparison.Ordinal) ? $"?capsule={secretName}" : "");
            using var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), url);
            if (method == "post")
            {
                request.Content = path == "/v1/capsules"
                    ? SignedForm(bob, CapsuleBuilder.Package(secretName, "9.9.9"))
                    : JsonContent.Create(new { reason = "taking over", capsule = secretName, name = "k", public_key = bobsOtherKey.PublicPem });
            }
            using var response = await bob.Client.SendAsync(request, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            var what = $"{method.ToUpperInvariant()} {path} as another tenant answered {(int)response.StatusCode}: {body}";
            if (path == "/v1/capsules" && method == "post")
            {
                // Names are global: the publisher learns the name is taken, and nothing else.
                response.StatusCode.ShouldBe(HttpStatusCode.Forbidden, what);
                continue;
            }
            if (path.Contains('{', StringComparison.Ordinal) || (method == "post" && path == "/v1/installations") || path.EndsWith("/resolve", StringComparison.Ordinal))
            {
                // The 404 names what the caller sent, and nothing of it.
                response.StatusCode.ShouldBe(HttpStatusCode.NotFound, what);
                continue;
            }
            response.IsSuccessStatusCode.ShouldBeTrue(what);
            body.ShouldNotContain(secretName, Case.Insensitive, what);
            body.ShouldNotContain(alice.Publisher.KeyId, Case.Insensitive, what);
            body.ShouldNotContain(installation.ToString(), Case.Insensitive, what);
        }

        operations.Count.ShouldBeGreaterThanOrEqualTo(15);
        (await SnapshotAsync(alice, secretName, installation)).ShouldBe(before);
    }

    /// <summary>What of Alice's the walk must leave as it was (downloads aside: reads by her own snapshot do not change it).</summary>
    private static async Task<string> SnapshotAsync(Tenant tenant, string name, Guid installation) =>
        string.Join('\n',
            await tenant.Client.GetStringAsync($"/v1/capsules/{name}", Ct),
            await tenant.Client.GetStringAsync($"/v1/signing-keys/{tenant.Publisher.KeyId}", Ct),
            await tenant.Client.GetStringAsync($"/v1/installations/{installation}", Ct));

    private async Task<List<(string Path, string Method)>> OperationsAsync()
    {
        string[] methods = ["get", "post", "put", "patch", "delete"];
        using var anonymous = marketplace.Registry.CreateClientWith(null);
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi.json", Ct))!;
        return [.. document["paths"]!.AsObject()
            .Where(p => p.Key.StartsWith("/v1/", StringComparison.Ordinal))
            .SelectMany(p => p.Value!.AsObject().Where(o => methods.Contains(o.Key)).Select(o => (p.Key, o.Key)))];
    }

    private static MultipartFormDataContent SignedForm(Tenant tenant, byte[] package)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(package);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        form.Add(file, "package", "capsule.tar.gz");
        form.Add(new StringContent(tenant.Publisher.Sign(package)), "signature");
        form.Add(new StringContent(tenant.Publisher.KeyId), "key_id");
        form.Add(new StringContent("public"), "visibility");
        return form;
    }
}
