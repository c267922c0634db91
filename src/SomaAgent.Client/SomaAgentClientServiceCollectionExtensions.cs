using System.Net.Http.Headers;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using SomaAgent.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Where the API is and how to call it, for <see cref="SomaAgentClientServiceCollectionExtensions.AddSomaAgentClient"/>.</summary>
public sealed class SomaAgentClientSettings
{
    /// <summary>The gateway, e.g. <c>http://localhost:8010/</c>, or a service-discovery name such as <c>http://gateway</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The API key (or bearer token) every request sends.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How often in a row an event stream is resumed after its connection dropped. Default 5.</summary>
    public int StreamReconnects { get; set; } = 5;
}

/// <summary>
/// Registers <see cref="SomaAgentClient"/> with safe resilience. Its calls go through exactly one standard resilience
/// handler (a handler the host added to every client, as ServiceDefaults does, is replaced, not doubled), whose retries
/// never repeat an unsafe request: only GET, HEAD and OPTIONS, and requests that carry an <c>Idempotency-Key</c>, are
/// retried. Event streams go through a client of their own without resilience handlers, so no total-request timeout
/// cuts a long turn; the SDK resumes a dropped stream itself.
/// </summary>
public static class SomaAgentClientServiceCollectionExtensions
{
    public const string ApiClientName = "SomaAgent.Client";
    public const string StreamClientName = "SomaAgent.Client.Streams";

    public static IServiceCollection AddSomaAgentClient(this IServiceCollection services, Action<SomaAgentClientSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        // RemoveAllResilienceHandlers is the documented way to replace a handler ConfigureHttpClientDefaults added;
        // it is marked experimental, and the package version is pinned in Directory.Packages.props.
#pragma warning disable EXTEXP0001
        services.AddOptions<SomaAgentClientSettings>().Configure(configure)
            .Validate(s => s.BaseAddress is not null, "SomaAgentClientSettings.BaseAddress is required: the gateway's URL.");
        services.AddHttpClient(ApiClientName, Configure)
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(options => options.Retry.ShouldHandle = args => ValueTask.FromResult(
                IsSafeToRepeat(args.Context.GetRequestMessage()) && HttpClientResiliencePredicates.IsTransient(args.Outcome)));
        services.AddHttpClient(StreamClientName, (sp, http) =>
            {
                Configure(sp, http);
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        services.AddSingleton<SomaAgentClientFactory>();
        services.AddTransient(sp => sp.GetRequiredService<SomaAgentClientFactory>().Create());
        return services;
    }

    /// <summary>Whether sending <paramref name="request"/> twice does what sending it once does.</summary>
    public static bool IsSafeToRepeat(HttpRequestMessage? request) =>
        request is not null
        && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Options
            || request.Headers.Contains("Idempotency-Key"));

    private static void Configure(IServiceProvider services, HttpClient http)
    {
        var settings = services.GetRequiredService<IOptions<SomaAgentClientSettings>>().Value;
        http.BaseAddress = settings.BaseAddress;
        if (!string.IsNullOrEmpty(settings.ApiKey))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
        }
    }
}

/// <summary>
/// Makes <see cref="SomaAgentClient"/>s over the clients <see cref="SomaAgentClientServiceCollectionExtensions.AddSomaAgentClient"/>
/// registered: with the configured key, or with a caller's own credential, as a host serving many users (a web UI)
/// needs. Each client gets HttpClients of its own (pooled handlers), so one user's credential never reaches another's.
/// </summary>
public sealed class SomaAgentClientFactory(IHttpClientFactory factory, IOptions<SomaAgentClientSettings> settings)
{
    /// <summary>A client that sends the configured <see cref="SomaAgentClientSettings.ApiKey"/>, if any.</summary>
    public SomaAgentClient Create() => Create(credential: (string?)null);

    /// <summary>A client that sends <paramref name="credential"/> (an API key or a bearer token) instead of the configured key.</summary>
    public SomaAgentClient Create(string? credential) => Build(credential, null);

    /// <summary>
    /// A client that asks <paramref name="credential"/> for the bearer token before every request: for a token that is
    /// refreshed while the client lives (a signed-in user's OIDC access token).
    /// </summary>
    public SomaAgentClient Create(Func<CancellationToken, ValueTask<string>> credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return Build(fixedCredential: null, credential);
    }

    private SomaAgentClient Build(string? fixedCredential, Func<CancellationToken, ValueTask<string>>? refreshed)
    {
        var api = factory.CreateClient(SomaAgentClientServiceCollectionExtensions.ApiClientName);
        var streams = factory.CreateClient(SomaAgentClientServiceCollectionExtensions.StreamClientName);
        if (!string.IsNullOrEmpty(fixedCredential))
        {
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixedCredential);
            streams.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixedCredential);
        }
        return new SomaAgentClient(api, new SomaAgentClientOptions { StreamReconnects = settings.Value.StreamReconnects, Credential = refreshed }, streams);
    }
}
