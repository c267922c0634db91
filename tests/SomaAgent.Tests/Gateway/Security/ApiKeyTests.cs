using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SomaAgent.Runtime.Storage;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>API keys: shown once, stored hashed, listed without secrets, refused at once when revoked or expired.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ApiKeyTests(SharedGateway gateway)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private GatewayApp App => gateway.App;

    [Fact]
    public async Task A_created_key_returns_its_secret_once_and_only_its_hash_is_stored()
    {
        var (_, admin) = await CreateTenantAsync(App);
        var created = await CreateKeyAsync(App, admin, ["sessions:read"]);
        var secret = SecretOf(created);

        secret.ShouldStartWith("sk_" + created.GetProperty("key").GetProperty("prefix").GetString() + "_");
        secret.Length.ShouldBeGreaterThanOrEqualTo(3 + 12 + 1 + 43);
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<SessionDbContext>>().CreateDbContextAsync(Ct);
        var stored = await db.ApiKeys.SingleAsync(k => k.Id == IdOf(created), Ct);
        stored.SecretHash.ShouldBe(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        stored.Prefix.ShouldNotContain(secret[16..]);
        JsonSerializer.Serialize(stored).ShouldNotContain(secret[16..]);
    }

    [Fact]
    public async Task Listing_keys_shows_prefix_and_scopes_but_never_a_secret()
    {
        var (tenant, admin) = await CreateTenantAsync(App);
        var created = await CreateKeyAsync(App, admin, ["sessions:read", "models:read"]);

        using var client = App.CreateClientWith(admin);
        var text = await client.GetStringAsync("/v1/keys", Ct);

        text.ShouldNotContain(SecretOf(created));
        text.ShouldNotContain(admin);
        var keys = JsonNode.Parse(text)!["data"]!.AsArray();
        keys.Count.ShouldBe(2);
        var listed = keys.Single(k => k!["id"]!.GetValue<Guid>() == IdOf(created))!;
        listed["tenant_id"]!.GetValue<string>().ShouldBe(tenant);
        listed["prefix"]!.GetValue<string>().ShouldBe(created.GetProperty("key").GetProperty("prefix").GetString());
        listed["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["sessions:read", "models:read"]);
        listed["revoked_at"].ShouldBeNull();
    }

    [Fact]
    public async Task The_location_of_a_created_key_reads_it_back_without_its_secret()
    {
        var (tenant, admin) = await CreateTenantAsync(App);
        using var client = App.CreateClientWith(admin);
        using var created = await client.PostAsJsonAsync("/v1/keys", new { name = "reader", scopes = (string[])["sessions:read"] }, GatewayApp.Json, Ct);
        var secret = (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("secret").GetString()!;

        using var read = await client.GetAsync(created.Headers.Location, Ct);

        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        var text = await read.Content.ReadAsStringAsync(Ct);
        text.ShouldNotContain(secret);
        var key = JsonNode.Parse(text)!;
        key["tenant_id"]!.GetValue<string>().ShouldBe(tenant);
        key["name"]!.GetValue<string>().ShouldBe("reader");
        key["scopes"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["sessions:read"]);
    }

    [Theory]
    [InlineData("not-a-uuid", HttpStatusCode.BadRequest, "is not a key id")]
    [InlineData("0193a8a0-7c1e-7d3b-9f00-123456789abc", HttpStatusCode.NotFound, "No key with id")]
    public async Task Reading_a_key_that_is_not_one_says_why(string id, HttpStatusCode status, string detail)
    {
        var (_, admin) = await CreateTenantAsync(App);
        using var client = App.CreateClientWith(admin);

        using var response = await client.GetAsync($"/v1/keys/{id}", Ct);

        response.StatusCode.ShouldBe(status);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.Content.ReadAsStringAsync(Ct)).ShouldContain(detail);
    }

    [Fact]
    public async Task The_location_of_a_created_tenant_reads_it_back()
    {
        using var platform = App.CreateClient();
        var id = "t-" + Guid.NewGuid().ToString("N")[..12];
        using var created = await platform.PostAsJsonAsync("/v1/tenants", new { id, name = "Acme Corp" }, GatewayApp.Json, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created);

        using var read = await platform.GetAsync(created.Headers.Location, Ct);

        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        var tenant = JsonNode.Parse(await read.Content.ReadAsStringAsync(Ct))!;
        tenant["id"]!.GetValue<string>().ShouldBe(id);
        tenant["name"]!.GetValue<string>().ShouldBe("Acme Corp");
    }

    [Theory]
    [InlineData("Not_A_Tenant", HttpStatusCode.BadRequest, "is not a tenant id")]
    [InlineData("no-such-tenant-here", HttpStatusCode.NotFound, "No tenant 'no-such-tenant-here' exists.")]
    public async Task Reading_a_tenant_that_is_not_one_says_why(string id, HttpStatusCode status, string detail)
    {
        using var platform = App.CreateClient();

        using var response = await platform.GetAsync($"/v1/tenants/{id}", Ct);

        response.StatusCode.ShouldBe(status);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldContain(detail);
    }

    [Fact]
    public async Task A_key_works_as_bearer_and_as_x_api_key()
    {
        var (_, admin) = await CreateTenantAsync(App);
        var secret = SecretOf(await CreateKeyAsync(App, admin, ["models:read"]));

        using var bearer = App.CreateClientWith(secret);
        (await bearer.GetAsync("/v1/models", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var header = App.CreateAnonymousClient();
        header.DefaultRequestHeaders.Add("X-API-Key", secret);
        (await header.GetAsync("/v1/models", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_revoked_key_gets_401_on_the_very_next_request()
    {
        var (_, admin) = await CreateTenantAsync(App);
        var created = await CreateKeyAsync(App, admin, ["models:read"]);
        using var client = App.CreateClientWith(SecretOf(created));
        (await client.GetAsync("/v1/models", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var adminClient = App.CreateClientWith(admin);
        (await adminClient.DeleteAsync($"/v1/keys/{IdOf(created)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var detail = await ShouldBeUnauthorizedAsync(await client.GetAsync("/v1/models", Ct));
        detail.ShouldContain("revoked");
        var listed = await adminClient.GetFromJsonAsync<JsonElement>("/v1/keys", GatewayApp.Json, Ct);
        listed.GetProperty("data").EnumerateArray().Single(k => k.GetProperty("id").GetGuid() == IdOf(created))
            .GetProperty("revoked_at").ValueKind.ShouldBe(JsonValueKind.String);
    }

    [Fact]
    public async Task An_expired_key_gets_401()
    {
        var (_, admin) = await CreateTenantAsync(App);
        var created = await CreateKeyAsync(App, admin, ["models:read"], DateTimeOffset.UtcNow.AddHours(1));
        await using (var db = await App.Services.GetRequiredService<IDbContextFactory<SessionDbContext>>().CreateDbContextAsync(Ct))
        {
            await db.ApiKeys.Where(k => k.Id == IdOf(created))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.ExpiresAt, DateTime.UtcNow.AddSeconds(-1)), Ct);
        }

        using var client = App.CreateClientWith(SecretOf(created));
        (await ShouldBeUnauthorizedAsync(await client.GetAsync("/v1/models", Ct))).ShouldContain("expired");
    }

    [Fact]
    public async Task An_unknown_key_gets_401_problem_with_www_authenticate_that_never_echoes_the_key()
    {
        const string unknown = "sk_0123456789ab_ThisKeyWasNeverIssuedByAnyGatewayAtAll0123456"; // secret-scan: allow (never issued)
        using var client = App.CreateClientWith(unknown);

        using var response = await client.GetAsync("/v1/sessions", Ct);

        var detail = await ShouldBeUnauthorizedAsync(response);
        detail.ShouldBe("The API key is not valid.");
        (await response.Content.ReadAsStringAsync(Ct)).ShouldNotContain("ThisKeyWasNeverIssued");
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz", "Bearer scheme")]
    [InlineData("Bearer short", "malformed")]
    [InlineData("Bearer", "no token after 'Bearer'")]
    [InlineData("bearer   ", "no token after 'Bearer'")]
    public async Task A_malformed_credential_gets_401_saying_why(string authorization, string expected)
    {
        using var client = App.CreateAnonymousClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        (await ShouldBeUnauthorizedAsync(await client.GetAsync("/v1/models", Ct))).ShouldContain(expected);
    }

    [Fact]
    public async Task Revoking_another_tenants_key_answers_404_and_leaves_it_working()
    {
        var (_, adminA) = await CreateTenantAsync(App);
        var (_, adminB) = await CreateTenantAsync(App);
        var keyB = await CreateKeyAsync(App, adminB, ["models:read"]);

        using var clientA = App.CreateClientWith(adminA);
        (await clientA.DeleteAsync($"/v1/keys/{IdOf(keyB)}", Ct)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        using var clientB = App.CreateClientWith(SecretOf(keyB));
        (await clientB.GetAsync("/v1/models", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Chat_completions_refuse_a_missing_key_in_openais_error_shape()
    {
        using var client = App.CreateAnonymousClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "soma-simulated-1", messages = new[] { new { role = "user", content = "hi" } } }, GatewayApp.Json, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.First().Scheme.ShouldBe("Bearer");
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("error");
        error.GetProperty("code").GetString().ShouldBe("invalid_api_key");
        error.GetProperty("message").GetString().ShouldNotBeNull().ShouldContain("API key");
    }
}
