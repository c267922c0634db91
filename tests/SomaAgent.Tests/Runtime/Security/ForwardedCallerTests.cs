using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SomaAgent.Security.Identity;

namespace SomaAgent.Tests.Runtime.Security;

/// <summary>The caller the gateway forwards holds only for the request it was signed for, for a minute, under the shared secret.</summary>
public sealed class ForwardedCallerTests
{
    private const string Secret = "forwarded-caller-test-secret-0123456789abcdef";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-07T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void A_signed_caller_reads_back_with_its_tenant_subject_name_and_scopes()
    {
        var forwarded = Create();

        var (caller, failure) = forwarded.Verify(forwarded.Sign(User(), "post", "/v1/capsules"), "POST", "/v1/capsules");

        failure.ShouldBeNull();
        caller.ShouldNotBeNull();
        (caller.Tenant, caller.Subject, caller.Credential, caller.Name).ShouldBe(("acme", "key-1", "api_key", "ci key"));
        caller.Scopes.ShouldBe(["capsules:read", "capsules:publish"]);
    }

    [Fact]
    public void It_does_not_hold_for_another_path_or_method()
    {
        var forwarded = Create();
        var header = forwarded.Sign(User(), "GET", "/v1/capsules/weather");

        forwarded.Verify(header, "GET", "/v1/capsules/other").Failure.ShouldBe("The X-SomaAgent-Caller header was issued for another request.");
        forwarded.Verify(header, "DELETE", "/v1/capsules/weather").Failure.ShouldBe("The X-SomaAgent-Caller header was issued for another request.");
    }

    [Fact]
    public void It_expires()
    {
        var forwarded = Create();
        var header = forwarded.Sign(User(), "GET", "/v1/installations");

        _time.Advance(TimeSpan.FromSeconds(61));

        forwarded.Verify(header, "GET", "/v1/installations").Failure.ShouldBe("The X-SomaAgent-Caller header has expired.");
    }

    [Fact]
    public void A_changed_payload_or_another_secret_does_not_verify()
    {
        var header = Create().Sign(User(), "GET", "/v1/installations");
        var parts = header.Split('.');
        var otherTenant = Create().Sign(User("other"), "GET", "/v1/installations").Split('.')[1];

        Create().Verify($"{parts[0]}.{otherTenant}.{parts[2]}", "GET", "/v1/installations").Failure!.ShouldContain("not signed");
        Create("another-secret-of-at-least-32-characters!!").Verify(header, "GET", "/v1/installations").Failure!.ShouldContain("not signed");
        Create().Verify("v1.garbage", "GET", "/v1/installations").Failure!.ShouldContain("malformed");
    }

    [Fact]
    public void Without_a_secret_nothing_is_accepted()
    {
        var header = Create().Sign(User(), "GET", "/v1/installations");

        Create(secret: null).Verify(header, "GET", "/v1/installations").Failure!.ShouldContain("SOMAAGENT_INTERNAL_SECRET");
    }

    private ForwardedCaller Create(string? secret = Secret) =>
        new(Options.Create(new InternalAuthOptions { Secret = secret, AcceptForwardedCallers = true }), _time);

    private static ClaimsPrincipal User(string tenant = "acme") => new(new ClaimsIdentity(
        [
            new Claim(SomaAgentClaims.Tenant, tenant),
            new Claim(SomaAgentClaims.Subject, "key-1"),
            new Claim(SomaAgentClaims.KeyName, "ci key"),
            new Claim(SomaAgentClaims.Scope, "capsules:read"),
            new Claim(SomaAgentClaims.Scope, "capsules:publish"),
        ], "api_key"));
}
