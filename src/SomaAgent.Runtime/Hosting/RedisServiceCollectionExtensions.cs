using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The Redis connection of a service, for the features that talk to Redis directly (rate limits and quotas).</summary>
public static class RedisServiceCollectionExtensions
{
    /// <summary>Name of the connection string that turns Redis on (<c>ConnectionStrings:redis</c>).</summary>
    public const string ConnectionName = "redis";

    /// <summary>
    /// Registers one <see cref="IConnectionMultiplexer"/> for <c>ConnectionStrings:redis</c> and returns true, or
    /// returns false when it is unset. Safe to call from every feature that needs Redis: the connection is
    /// registered once and opened on first use.
    /// </summary>
    public static bool AddSomaAgentRedis(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return false;
        }
        builder.Services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(ConnectionOptions(connectionString)));
        return true;
    }

    /// <summary>
    /// How every SomaAgent Redis client connects: start, and keep going, while Redis is away. The client
    /// reconnects by itself, and commands sent meanwhile fail at once instead of queueing until their timeout;
    /// each user decides what a failure means (the cache misses, the limiter lets the request through).
    /// </summary>
    public static ConfigurationOptions ConnectionOptions(string connectionString)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        return configuration;
    }
}
