using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static SomaAgent.Tests.Gateway.Security.SecurityClient;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>Security headers, CORS only where configured, header limits, and no secret ever reaching a log.</summary>
public sealed class HardeningTests
{
    private const string Console = "https://console.example.com";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/v1/health")]
    [InlineData("/v1/sessions")]
    [InlineData("/openapi.json")]
    [InlineData("/v2/sessions")]
    public async Task Every_answer_carries_the_security_headers(string path)
    {
        await using var app = new GatewayApp();
        using var client = app.CreateAnonymousClient();

        using var response = await client.GetAsync(path, Ct);

        response.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        response.Headers.GetValues("X-Frame-Options").ShouldBe(["DENY"]);
        response.Headers.GetValues("Referrer-Policy").ShouldBe(["no-referrer"]);
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("default-src 'none'");
        response.Headers.Contains("Server").ShouldBeFalse();
    }

    [Fact]
    public async Task A_new_keys_secret_is_never_cacheable()
    {
        await using var app = new GatewayApp();
        var (_, admin) = await CreateTenantAsync(app);
        using var client = app.CreateClientWith(admin);

        using var response = await client.PostAsJsonAsync("/v1/keys", new { name = "ci", scopes = (string[])["sessions:read"] }, GatewayApp.Json, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
    }

    [Fact]
    public async Task Without_configured_origins_a_browser_preflight_gets_no_cors_grant()
    {
        await using var app = new GatewayApp();
        using var client = app.CreateAnonymousClient();

        using var response = await client.SendAsync(Preflight(Console), Ct);

        response.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
    }

    [Fact]
    public async Task A_configured_origin_gets_a_preflight_grant_without_credentials_and_others_do_not()
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?> { ["CORS_ALLOWED_ORIGINS"] = $"{Console}, http://localhost:5173" });
        using var client = app.CreateAnonymousClient();

        using var allowed = await client.SendAsync(Preflight(Console), Ct);
        using var refused = await client.SendAsync(Preflight("https://evil.example.com"), Ct);

        allowed.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        allowed.Headers.GetValues("Access-Control-Allow-Origin").ShouldBe([Console]);
        allowed.Headers.GetValues("Access-Control-Allow-Headers").Single().ToUpperInvariant().ShouldContain("X-API-KEY");
        refused.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
    }

    [Fact]
    public async Task A_configured_origin_is_named_on_real_answers_and_may_read_retry_after()
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?> { ["CORS_ALLOWED_ORIGINS"] = Console });
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models") { Headers = { { "Origin", Console } } };

        using var response = await client.SendAsync(request, Ct);

        response.Headers.GetValues("Access-Control-Allow-Origin").ShouldBe([Console]);
        response.Headers.GetValues("Access-Control-Expose-Headers").Single().ShouldContain("Retry-After");
    }

    [Fact]
    public void A_cors_origin_with_a_path_or_wildcard_stops_the_start()
    {
        var app = new GatewayApp(settings: new Dictionary<string, string?> { ["CORS_ALLOWED_ORIGINS"] = "*" });

        var error = Should.Throw<OptionsValidationException>(() => _ = app.Server);

        error.Message.ShouldContain("CORS_ALLOWED_ORIGINS");
    }

    [Fact]
    public async Task A_client_flooding_without_a_valid_credential_gets_429_and_authenticated_callers_do_not()
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?> { ["SomaAgent:Http:UnauthenticatedRequestsPerMinute"] = "5" });
        using var anonymous = app.CreateAnonymousClient();
        using var guessing = app.CreateClientWith("sk_0123456789ab_guessingGuessingGuessingGuessing0123"); // secret-scan: allow (never issued)
        using var authenticated = app.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            (await anonymous.GetAsync("/v1/models", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        for (var i = 0; i < 2; i++)
        {
            (await guessing.GetAsync("/v1/models", Ct)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        using var refused = await guessing.GetAsync("/v1/models", Ct);

        refused.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeInRange(1, 60);
        (await refused.Content.ReadAsStringAsync(Ct)).ShouldContain("without a valid credential");
        (await authenticated.GetAsync("/v1/models", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await anonymous.GetAsync("/v1/health", Ct)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Kestrel_limits_headers_and_the_request_line()
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?> { ["SomaAgent:Http:MaxRequestHeaderCount"] = "40" });

        var limits = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;

        limits.MaxRequestHeaderCount.ShouldBe(40);
        limits.MaxRequestHeadersTotalSize.ShouldBe(32 * 1024);
        limits.MaxRequestLineSize.ShouldBe(8 * 1024);
    }

    [Fact]
    public async Task No_secret_reaches_the_logs_or_a_problem_while_keys_are_created_used_and_refused()
    {
        using var logs = new LogCapture();
        await using var app = new GatewayApp(logs: logs);
        var (_, admin) = await CreateTenantAsync(app);
        var key = SecretOf(await CreateKeyAsync(app, admin, ["sessions:write", "sessions:read"]));
        using var client = app.CreateClientWith(key);
        (await client.PostAsJsonAsync("/v1/sessions", new { input = "hello" }, GatewayApp.Json, Ct)).StatusCode.ShouldBe(HttpStatusCode.Created);
        var wrong = key[..^4] + "AAAA";
        using var refused = app.CreateClientWith(wrong);
        var problem = await ShouldBeUnauthorizedAsync(await refused.GetAsync("/v1/sessions", Ct));

        var everything = string.Join('\n', logs.Lines) + File.ReadAllText(app.AuditFile) + problem;
        foreach (var secret in new[] { GatewayApp.BootstrapKey, admin, key, wrong })
        {
            everything.ShouldNotContain(secret[^20..]);
        }
    }

    private static HttpRequestMessage Preflight(string origin) => new(HttpMethod.Options, "/v1/sessions")
    {
        Headers =
        {
            { "Origin", origin },
            { "Access-Control-Request-Method", "POST" },
            { "Access-Control-Request-Headers", "authorization, content-type, x-api-key" },
        },
    };
}
