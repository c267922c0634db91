using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The Redis connection of a service: one <see cref="IConnectionMultiplexer"/> per process, made by Aspire's Redis
/// client integration, so its settings (<c>Aspire:StackExchange:Redis</c>), traces and health check follow Aspire's
/// conventions. Every Redis user of the process (rate limits and quotas, the tool result cache, the Web's tickets and
/// key ring) shares it.
/// </summary>
public static class RedisServiceCollectionExtensions
{
    /// <summary>Name of the connection string that turns Redis on (<c>ConnectionStrings:redis</c>).</summary>
    public const string ConnectionName = "redis";

    /// <summary>
    /// Registers the connection for <c>ConnectionStrings:redis</c> and returns true, or returns false when it is unset.
    /// Safe to call from every feature that needs Redis: the first call decides. With <paramref name="healthCheck"/>
    /// Redis is part of the service's readiness; leave it off where a service keeps serving without Redis (the
    /// gateway's limiter lets requests through, the tool cache misses), so an outage does not take it out of rotation.
    /// </summary>
    public static bool AddSomaAgentRedis(this IHostApplicationBuilder builder, bool healthCheck = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConnectionName)))
        {
            return false;
        }
        if (builder.Services.Any(d => d.ServiceType == typeof(IConnectionMultiplexer)))
        {
            return true;
        }
        builder.AddRedisClient(ConnectionName, settings => settings.DisableHealthChecks = !healthCheck, Configure);
        return true;
    }

    /// <summary>
    /// How every SomaAgent Redis client connects: start, and keep going, while Redis is away. The client
    /// reconnects by itself, and commands sent meanwhile fail at once instead of queueing until their timeout;
    /// each user decides what a failure means (the cache misses, the limiter lets the request through).
    /// </summary>
    public static void Configure(ConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
    }
}
