namespace Microsoft.Extensions.DependencyInjection;

/// <summary>For the clients a request waits on (OPA, OpenFGA, OIDC metadata): one attempt under the caller's own deadline.</summary>
public static class SingleAttemptHttpClient
{
    /// <summary>
    /// Takes the client out of the service defaults' standard resilience handler (retries, hedging, circuit
    /// breaker), so a failing dependency costs one bounded wait, not three with back-off in between.
    /// </summary>
    public static IHttpClientBuilder WithSingleAttempt(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // EXTEXP0001: marked experimental, yet the documented way to undo ConfigureHttpClientDefaults for one client.
#pragma warning disable EXTEXP0001
        return builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
    }
}
