using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Web.Account;
using SomaAgent.Web.Platform;
using StackExchange.Redis;

namespace SomaAgent.Tests.Web;

/// <summary>
/// Two Web replicas on one Redis, as behind a load balancer without sticky sessions: whatever one replica signed or
/// encrypted (the sign-in cookie, an antiforgery token) the other reads.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed partial class WebReplicasTests(RedisServer redis, SharedGateway gateway) : IClassFixture<SharedGateway>, IAsyncDisposable
{
    private readonly WebApplicationFactory<UserClient> _first = Replica(redis, gateway.App);
    private readonly WebApplicationFactory<UserClient> _second = Replica(redis, gateway.App);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_user_signed_in_on_one_replica_is_signed_in_on_the_other()
    {
        var cookies = await SignInAsync(_first);
        using var other = _second.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sessions");
        request.Headers.Add("Cookie", cookies);

        using var sessions = await other.SendAsync(request, Ct);

        sessions.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await sessions.Content.ReadAsStringAsync(Ct)).ShouldContain("Sessions");
    }

    [Fact]
    public async Task A_form_served_by_one_replica_is_accepted_by_the_other()
    {
        using var answer = await PostLoginFormAsync(servedBy: _first, postedTo: _second, key: "");

        // Past antiforgery (which would answer 400), to the form's own validation.
        answer.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await answer.Content.ReadAsStringAsync(Ct)).ShouldContain("Enter your API key.");
    }

    [Fact]
    public async Task The_key_ring_lives_in_redis_not_on_a_replica_s_disk()
    {
        var protectedByFirst = _first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("hello");
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);

        _second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedByFirst).ShouldBe("hello");
        (await connection.GetDatabase().ListLengthAsync(WebExtensions.DataProtectionKeys)).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Redis_is_part_of_the_webs_readiness_and_one_connection_serves_tickets_and_keys()
    {
        _ = _first.CreateClient();
        var checks = _first.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name);

        // Without Redis no one can sign in on this replica, so it must not be ready.
        checks.ShouldContain(name => name.Contains("Redis", StringComparison.OrdinalIgnoreCase));
        var report = await _first.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Ct);
        report.Status.ShouldBe(HealthStatus.Healthy);
        _first.Services.GetServices<IConnectionMultiplexer>().Count().ShouldBe(1);
    }

    private static async Task<string> SignInAsync(WebApplicationFactory<UserClient> web)
    {
        using var signIn = await PostLoginFormAsync(servedBy: web, postedTo: web, key: GatewayApp.BootstrapKey);
        signIn.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signIn.Content.ReadAsStringAsync(Ct));
        return CookiesOf(signIn);
    }

    /// <summary>The sign-in form as a browser sends it: fetched (with its antiforgery token and cookie) from one replica, posted to another.</summary>
    private static async Task<HttpResponseMessage> PostLoginFormAsync(WebApplicationFactory<UserClient> servedBy, WebApplicationFactory<UserClient> postedTo, string key)
    {
        using var first = servedBy.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        using var login = await first.GetAsync("/account/login", Ct);
        var token = Token().Match(await login.Content.ReadAsStringAsync(Ct)).Groups[1].Value;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = token,
                ["_handler"] = "api-key",
                ["Input.Key"] = key,
            }),
        };
        post.Headers.Add("Cookie", CookiesOf(login));
        using var second = postedTo.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        return await second.SendAsync(post, Ct);
    }

    private static string CookiesOf(HttpResponseMessage response) =>
        string.Join("; ", response.Headers.GetValues("Set-Cookie").Select(cookie => cookie.Split(';')[0]));

    private static WebApplicationFactory<UserClient> Replica(RedisServer redis, GatewayApp gateway) =>
        new WebApplicationFactory<UserClient>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.UseSetting("SomaAgent:Web:GatewayUrl", "http://localhost/");
            web.UseSetting("ConnectionStrings:redis", redis.ConnectionString);
            web.ConfigureTestServices(services =>
            {
                services.RouteSdkTo(gateway);
            });
        });

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
