using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SomaAgent.Tests.Infrastructure;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>
/// Bearer tokens (JWT) next to API keys: HS256 signed with the shared secret the gateway read from Vault KV v2 at
/// start-up, and RS256 tokens of a real OIDC issuer. Every refusal is the one 401 problem with a reason.
/// </summary>
public sealed class JwtTests(JwtGateway gateway) : IClassFixture<JwtGateway>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private GatewayApp App => gateway.App;

    [Fact]
    public async Task An_hs256_token_signed_with_the_vault_secret_opens_and_lists_sessions_as_its_tenant()
    {
        var tenant = "t-jwt-" + Guid.NewGuid().ToString("N")[..8];
        using var client = App.CreateClientWith(JwtGateway.Hs256(tenant: tenant));

        using var created = await client.PostAsJsonAsync("/v1/sessions", new { input = "hello" }, GatewayApp.Json, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("id").GetGuid();
        (await client.GetStringAsync("/v1/sessions", Ct)).ShouldContain(id.ToString());
        // Another tenant's token does not see it.
        using var other = App.CreateClientWith(JwtGateway.Hs256(tenant: tenant + "-other"));
        (await other.GetStringAsync("/v1/sessions", Ct)).ShouldNotContain(id.ToString());
    }

    [Fact]
    public async Task A_token_of_the_oidc_issuer_is_accepted_with_its_tenant_and_scopes()
    {
        using var client = App.CreateClientWith(await gateway.Oidc.GetTokenAsync(cancellationToken: Ct));

        using var created = await client.PostAsJsonAsync("/v1/sessions", new { input = "hello" }, GatewayApp.Json, Ct);
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync(Ct));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(GatewayApp.Json, Ct)).GetProperty("id").GetGuid();
        using var asTenant = new HttpRequestMessage(HttpMethod.Get, "/v1/sessions") { Headers = { { "X-Tenant-Id", OidcIssuer.Tenant } } };
        using var listed = await client.SendAsync(asTenant, Ct);
        (await listed.Content.ReadAsStringAsync(Ct)).ShouldContain(id.ToString());
        var me = await client.GetFromJsonAsync<JsonElement>("/v1/me", GatewayApp.Json, Ct);
        me.GetProperty("tenant").GetString().ShouldBe(OidcIssuer.Tenant);
        me.GetProperty("scheme").GetString().ShouldBe("jwt");
    }

    [Fact]
    public async Task A_token_without_a_scope_gets_403_for_that_route()
    {
        using var client = App.CreateClientWith(await gateway.Oidc.GetTokenAsync(scope: "sessions:read unknown:scope", cancellationToken: Ct));

        (await client.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        var detail = await ShouldBeForbiddenAsync(await client.PostAsJsonAsync("/v1/sessions", new { input = "hi" }, GatewayApp.Json, Ct));
        detail.ShouldContain("'sessions:write'");
    }

    [Fact]
    public async Task A_missing_credential_gets_401_with_a_plain_bearer_challenge()
    {
        using var client = App.CreateAnonymousClient();

        using var response = await client.GetAsync("/v1/sessions", Ct);

        await ShouldBeUnauthorizedAsync(response);
        response.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");
    }

    [Fact]
    public async Task A_malformed_token_gets_401() =>
        await ShouldRefuseAsync("eyJub3Q.a-jwt.at-all", "malformed");

    [Fact]
    public async Task An_expired_token_gets_401() =>
        await ShouldRefuseAsync(JwtGateway.Hs256(expires: DateTime.UtcNow.AddMinutes(-5)), "expired");

    [Fact]
    public async Task A_token_of_another_issuer_gets_401() =>
        await ShouldRefuseAsync(JwtGateway.Hs256(issuer: "https://issuer.example"), "issuer");

    [Fact]
    public async Task A_token_for_another_audience_gets_401() =>
        await ShouldRefuseAsync(JwtGateway.Hs256(audience: "another-service"), "audience");

    [Fact]
    public async Task A_token_signed_with_another_secret_gets_401() =>
        await ShouldRefuseAsync(JwtGateway.Hs256(secret: "another-secret-another-secret-another-secret"), "signature");

    [Fact]
    public async Task An_unsigned_alg_none_token_gets_401()
    {
        static string Part(object value) => Base64UrlEncoder.Encode(JsonSerializer.Serialize(value));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var token = Part(new { alg = "none", typ = "JWT" }) + "." + Part(new
        {
            iss = JwtGateway.Issuer,
            aud = JwtGateway.Audience,
            sub = "mallory",
            tenant = "t-none",
            scope = "platform:admin",
            iat = now,
            exp = now + 300,
        }) + ".";

        await ShouldRefuseAsync(token, "alg 'none'");
    }

    [Fact]
    public async Task A_token_signed_by_a_key_the_oidc_issuer_does_not_publish_gets_401()
    {
        using var rsa = RSA.Create(2048);
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = gateway.Oidc.Authority,
            Audience = OidcIssuer.Audience,
            Claims = new Dictionary<string, object> { ["sub"] = "mallory", ["tenant"] = OidcIssuer.Tenant, ["scope"] = "sessions:read" },
            Expires = DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = "rogue-key" }, SecurityAlgorithms.RsaSha256),
        });

        await ShouldRefuseAsync(token, "unknown signing key");
    }

    [Fact]
    public async Task An_oidc_token_without_a_tenant_claim_gets_401() =>
        await ShouldRefuseAsync(await gateway.Oidc.GetTokenAsync(OidcIssuer.NoTenantClient, "sessions:read", Ct), "no tenant claim");

    [Fact]
    public async Task A_token_whose_tenant_differs_from_x_tenant_id_gets_403()
    {
        using var client = App.CreateClientWith(await gateway.Oidc.GetTokenAsync(cancellationToken: Ct));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/sessions") { Headers = { { "X-Tenant-Id", "someone-else" } } };

        var detail = await ShouldBeForbiddenAsync(await client.SendAsync(request, Ct));

        detail.ShouldContain($"'{OidcIssuer.Tenant}'");
    }

    [Fact]
    public async Task The_gateway_refuses_to_start_when_vault_answers_403()
    {
        await using var app = new GatewayApp(settings: gateway.VaultSettings(token: "not-the-vault-token"));

        var failure = Should.Throw<Exception>(() => _ = app.Server);

        var text = failure.ToString();
        text.ShouldContain("403");
        text.ShouldContain("permission denied");
        text.ShouldContain("VAULT_TOKEN");
        text.ShouldNotContain(JwtGateway.Secret);
    }

    [Fact]
    public async Task An_hs256_token_signed_with_the_configured_secret_is_accepted_when_embedded()
    {
        const string Secret = "embedded-test-secret-0123456789abcdef-0123456789";
        await using var app = new GatewayApp(settings: new Dictionary<string, string?> { ["SomaAgent:Jwt:Secret"] = Secret });
        using var client = app.CreateClientWith(JwtGateway.Hs256(tenant: "t-embedded", secret: Secret));

        (await client.GetAsync("/v1/sessions", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_token_gets_401_and_a_warning_is_logged_while_the_oidc_issuer_is_unreachable()
    {
        using var logs = new LogCapture();
        var nobody = $"http://127.0.0.1:{RedisServer.FreeLoopbackPort()}";
        await using var app = new GatewayApp(settings: new Dictionary<string, string?> { ["OIDC_AUTHORITY"] = nobody }, logs: logs);
        using var client = app.CreateClientWith(await gateway.Oidc.GetTokenAsync(cancellationToken: Ct));

        var started = DateTime.UtcNow;
        using var response = await client.GetAsync("/v1/sessions", Ct);

        (await ShouldBeUnauthorizedAsync(response)).ShouldContain("could not be reached");
        (DateTime.UtcNow - started).ShouldBeLessThan(TimeSpan.FromSeconds(5));
        logs.Lines.ShouldContain(l => l.StartsWith("Warning: The OIDC issuer " + nobody, StringComparison.Ordinal));
    }

    /// <summary>401 problem+json whose detail and <c>error_description</c> name the reason, and never echo the token.</summary>
    private async Task ShouldRefuseAsync(string token, string reason)
    {
        using var client = App.CreateClientWith(token);
        using var response = await client.GetAsync("/v1/sessions", Ct);

        var detail = await ShouldBeUnauthorizedAsync(response);
        detail.ShouldContain(reason, Case.Insensitive);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        challenge.ShouldStartWith("Bearer error=\"invalid_token\", error_description=\"");
        challenge.ShouldContain(reason, Case.Insensitive);
        challenge.ShouldNotContain(token);
        (await response.Content.ReadAsStringAsync(Ct)).ShouldNotContain(token);
    }
}

/// <summary>
/// One gateway for <see cref="JwtTests"/>: its HS256 secret in a Vault KV v2 fake (read through <c>VAULT_ADDR</c>,
/// <c>VAULT_TOKEN</c> and <c>GATEWAY_JWT_SECRET</c>, as in the containers topology) and a real OIDC issuer
/// (<c>OIDC_AUTHORITY</c>, <c>OIDC_AUDIENCE</c>).
/// </summary>
public sealed class JwtGateway : IAsyncLifetime
{
    public const string Issuer = "somaagent";
    public const string Audience = "somaagent";

    /// <summary>The HS256 secret stored in the fake Vault; a test value.</summary>
    public const string Secret = "jwt-test-secret-0123456789abcdef-0123456789abcdef";

    private const string VaultToken = "vault-test-token";
    private VaultKvFake? _vault;
    private GatewayApp? _app;

    public OidcIssuer Oidc { get; } = new();

    public GatewayApp App => _app ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await Oidc.InitializeAsync();
        _vault = await VaultKvFake.StartAsync(VaultToken, ct);
        _vault.Put("secret", "somaagent/jwt", new() { ["secret"] = Secret });
        var settings = VaultSettings();
        settings["OIDC_AUTHORITY"] = Oidc.Authority;
        settings["OIDC_AUDIENCE"] = OidcIssuer.Audience;
        _app = new GatewayApp(settings: settings);
        _ = _app.Server;
    }

    /// <summary>The settings that point the gateway at the fake Vault's secret, with <paramref name="token"/>.</summary>
    public Dictionary<string, string?> VaultSettings(string token = VaultToken) => new()
    {
        ["VAULT_ADDR"] = _vault!.Address,
        ["VAULT_TOKEN"] = token,
        ["GATEWAY_JWT_SECRET"] = "secret/data/somaagent/jwt",
    };

    /// <summary>An HS256 token; every argument left out is valid.</summary>
    public static string Hs256(string tenant = "t-jwt", string scope = "sessions:read sessions:write", string issuer = Issuer,
        string audience = Audience, string secret = Secret, DateTime? expires = null)
    {
        var expiry = expires ?? DateTime.UtcNow.AddMinutes(5);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = new Dictionary<string, object> { ["sub"] = "user-" + tenant, ["tenant"] = tenant, ["scope"] = scope },
            IssuedAt = expiry.AddMinutes(-10),
            NotBefore = expiry.AddMinutes(-10),
            Expires = expiry,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
        if (_vault is not null)
        {
            await _vault.DisposeAsync();
        }
        await Oidc.DisposeAsync();
    }
}
