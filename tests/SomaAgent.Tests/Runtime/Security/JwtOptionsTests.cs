using SomaAgent.Security.Jwt;

namespace SomaAgent.Tests.Runtime.Security;

/// <summary>The token settings: Vault path forms and start-up validation messages that name the setting.</summary>
public sealed class JwtOptionsTests
{
    [Theory]
    [InlineData("secret/data/somaagent/jwt", "secret", "somaagent/jwt")]
    [InlineData("/v1/kv/data/team/jwt/", "kv", "team/jwt")]
    [InlineData("somaagent/jwt", "secret", "somaagent/jwt")]
    public void A_vault_path_is_split_into_mount_and_path(string reference, string mount, string path) =>
        VaultJwtSecretSource.ParsePath(reference, "secret").ShouldBe((mount, path));

    [Fact]
    public void No_token_source_is_valid()
    {
        new JwtOptionsValidator().Validate(null, new JwtOptions()).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public void A_short_configured_secret_is_refused_naming_the_setting()
    {
        var result = new JwtOptionsValidator().Validate(null, new JwtOptions { Secret = "too-short" });

        result.Failed.ShouldBeTrue();
        result.FailureMessage!.ShouldContain("SomaAgent:Jwt:Secret must be at least 32 bytes");
    }

    [Fact]
    public void A_vault_path_without_vault_address_and_token_is_refused_with_both_named()
    {
        var result = new JwtOptionsValidator().Validate(null, new JwtOptions { SecretPath = "somaagent/jwt" });

        result.Failures!.Count().ShouldBe(2);
        result.FailureMessage!.ShouldContain("VAULT_ADDR");
        result.FailureMessage!.ShouldContain("VAULT_TOKEN");
    }

    [Theory]
    [InlineData("http://keycloak:8080/realms/somaagent", false, false)]
    [InlineData("http://keycloak:8080/realms/somaagent", true, true)]
    [InlineData("http://127.0.0.1:8080/realms/somaagent", false, true)]
    [InlineData("https://id.example/realms/somaagent", false, true)]
    public void Http_oidc_metadata_needs_loopback_or_an_explicit_setting(string authority, bool allowHttp, bool valid)
    {
        var result = new JwtOptionsValidator().Validate(null, new JwtOptions { Authority = authority, AllowHttpMetadata = allowHttp });

        result.Succeeded.ShouldBe(valid, result.FailureMessage);
        if (!valid)
        {
            result.FailureMessage!.ShouldContain("OIDC_AUTHORITY");
            result.FailureMessage!.ShouldContain("AllowHttpMetadata");
        }
    }

    [Theory]
    [InlineData("sk_abc_def", false)]
    [InlineData("sk-test-bootstrap-0123", false)]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true)]
    [InlineData("not-a-key-nor-token", false)]
    public void Bearer_values_starting_with_sk_are_api_keys_and_dotted_values_are_tokens(string credential, bool jwt) =>
        JwtTokenValidator.LooksLikeJwt(credential).ShouldBe(jwt);
}
