using SomaAgent.Client.Capsules;
using SomaAgent.Client.Catalog;
using SomaAgent.Client.Keys;
using SomaAgent.Client.Sessions;

namespace SomaAgent.Client;

/// <summary>What the client does beyond what its <see cref="HttpClient"/> does.</summary>
public sealed class SomaAgentClientOptions
{
    /// <summary>How often in a row an event stream is resumed after its connection dropped. Default 5.</summary>
    public int StreamReconnects { get; set; } = 5;

    /// <summary>
    /// Asked for the bearer token before every request, for a credential that changes over time: an OIDC access token
    /// the caller refreshes before it expires. When set, it replaces the HttpClient's Authorization header.
    /// </summary>
    public Func<CancellationToken, ValueTask<string>>? Credential { get; set; }
}

/// <summary>
/// The SomaAgent API over an <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/> is the gateway (its
/// one base URL serves the registry's routes too) and which sends the credential (<c>Authorization: Bearer</c>).
/// </summary>
public sealed class SomaAgentClient
{
    /// <param name="http">The API's client: its BaseAddress is the gateway, and it sends the credential.</param>
    /// <param name="options">What the client does beyond its HttpClient (stream resumption).</param>
    /// <param name="streams">The client for event streams (default <paramref name="http"/>): one without a total-request timeout.</param>
    public SomaAgentClient(HttpClient http, SomaAgentClientOptions? options = null, HttpClient? streams = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.BaseAddress is null)
        {
            throw new ArgumentException("The HttpClient needs a BaseAddress: the gateway's URL, e.g. http://localhost:8010/.", nameof(http));
        }
        options ??= new SomaAgentClientOptions();
        var api = new ApiConnection(http, options.Credential);
        _api = api;
        Sessions = new SessionsClient(api, new ApiConnection(streams ?? http, options.Credential), options);
        Keys = new KeysClient(api);
        Tenants = new TenantsClient(api);
        Capsules = new CapsulesClient(api);
        SigningKeys = new SigningKeysClient(api);
        Installations = new InstallationsClient(api);
        Catalog = new CatalogClient(api);
    }

    /// <summary>A client of <paramref name="baseAddress"/> that sends <paramref name="apiKey"/>.</summary>
    public static SomaAgentClient Create(Uri baseAddress, string apiKey, SomaAgentClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        // Event streams last as long as a turn: no client-wide timeout; calls are bounded by their cancellation.
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        return new SomaAgentClient(http, options);
    }

    private readonly ApiConnection _api;

    public SessionsClient Sessions { get; }

    /// <summary>Who the credential is: its tenant, subject and scopes (<c>GET /v1/me</c>); a way to check a key.</summary>
    public Task<CallerIdentity> GetCallerAsync(CancellationToken cancellationToken = default) =>
        _api.GetAsync("v1/me", ClientJsonContext.Default.CallerIdentity, cancellationToken);

    /// <summary>The caller's tenant's API keys.</summary>
    public KeysClient Keys { get; }

    /// <summary>Tenants (platform admins).</summary>
    public TenantsClient Tenants { get; }

    /// <summary>The capsule marketplace.</summary>
    public CapsulesClient Capsules { get; }

    /// <summary>The tenant's publisher keys.</summary>
    public SigningKeysClient SigningKeys { get; }

    /// <summary>The tenant's installed capsules.</summary>
    public InstallationsClient Installations { get; }

    /// <summary>The models and tools the deployment offers sessions.</summary>
    public CatalogClient Catalog { get; }
}
