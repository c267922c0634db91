using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SomaAgent.Gateway.Tenancy.RateLimiting;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the request rate limits and the concurrent-sessions quota.</summary>
public static class RateLimitingExtensions
{
    /// <summary>
    /// Binds <see cref="RateLimitOptions"/> and picks the counters: Redis (shared by every replica) when
    /// <c>ConnectionStrings:redis</c> is set, this process otherwise.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayRateLimits(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<RateLimitOptions>, RateLimitOptionsSetup>();
        services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        if (builder.AddSomaAgentRedis())
        {
            services.TryAddSingleton<IRateLimitStore>(sp =>
                new RedisRateLimitStore(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<ILogger<RedisRateLimitStore>>()));
        }
        else
        {
            services.TryAddSingleton<IRateLimitStore, InProcessRateLimitStore>();
        }
        services.TryAddSingleton<SessionQuota>();
        return builder;
    }

    /// <summary>Counts each <c>/v1</c> request; call after authentication and authorization.</summary>
    public static IApplicationBuilder UseGatewayRateLimits(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<RequestRateLimitMiddleware>();
    }
}
