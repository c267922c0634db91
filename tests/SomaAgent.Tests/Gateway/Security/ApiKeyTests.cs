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
        const string unknown = "sk_0123456789ab_ThisKeyWasNeverIssuedByAnyGatewayAtAll0123456";
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
