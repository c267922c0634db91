using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Tests.Infrastructure;

/// <summary>
/// A real OIDC issuer (a Keycloak stand-in): npm's oidc-provider 9 run by <c>oidc/server.js</c> on a random loopback
/// port, with discovery, JWKS and client_credentials access tokens as RS256 JWTs that carry <c>tenant</c> and
/// <c>scope</c>. Installs its node packages on first use when <c>eng/install-test-deps.sh</c> has not, and kills its
/// own node process on dispose.
/// </summary>
/// <remarks>Recipe: shared TEST-SERVERS.md, section 5. Clients are in server.js: <c>acme-service</c> (tenant <c>acme</c>) and <c>no-tenant</c>.</remarks>
public sealed class OidcIssuer : IAsyncLifetime
{
    /// <summary>The audience the issuer's tokens carry, as the gateway expects it (<c>OIDC_AUDIENCE</c>).</summary>
    public const string Audience = "somaagent";

    /// <summary>The tenant in the tokens of <see cref="TenantClient"/>.</summary>
    public const string Tenant = "acme";

    public const string TenantClient = "acme-service";
    public const string NoTenantClient = "no-tenant";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private NodeServer? _server;
    private string? _issuer;

    /// <summary>The issuer URL (<c>OIDC_AUTHORITY</c>), e.g. <c>http://127.0.0.1:PORT</c>.</summary>
    public string Authority => _issuer ?? throw new InvalidOperationException("The OIDC issuer has not been started.");

    /// <summary>The folder of server.js in the source tree (node_modules are installed there).</summary>
    public static string Directory { get; } = typeof(OidcIssuer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "OidcIssuerDirectory").Value!;

    public async ValueTask InitializeAsync()
    {
        var port = RedisServer.FreeLoopbackPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        (_server, _issuer) = await NodeServer.StartAsync(Directory, "oidc-provider", "oidc-issuer ready ", "server.js", port, Audience);
    }

    /// <summary>What node printed so far, for failure messages.</summary>
    public string Output => _server?.Output ?? "";

    /// <summary>An access token (JWT) of <paramref name="clientId"/> by the client_credentials grant.</summary>
    public async Task<string> GetTokenAsync(string clientId = TenantClient, string scope = "sessions:read sessions:write models:read",
        CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{Authority}/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = scope }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{clientId}-secret")));
        using var response = await _http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        response.IsSuccessStatusCode.ShouldBeTrue($"token endpoint: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _http.Dispose();
    }
}
