using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;
using SomaAgent.Engine.Tools;
using SomaAgent.Engine.Tools.Caching;
using SomaAgent.Engine.Tools.Resilience;
using SomaAgent.Runtime.Tools;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The tool executor with its resilience pipelines (Polly) and its result cache (HybridCache).</summary>
public static class ToolExecutionServiceCollectionExtensions
{
    /// <summary>Prefix of every key the services write to Redis.</summary>
    public const string RedisKeyPrefix = "somaagent:";

    /// <summary>
    /// Registers the <see cref="ToolExecutor"/>. <c>ConnectionStrings:redis</c> puts Redis behind the result
    /// cache, shared by every worker; without it results are cached in process memory only.
    /// </summary>
    public static IHostApplicationBuilder AddToolExecution(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<ToolResilienceOptions>().BindConfiguration(ToolResilienceOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ToolResilienceOptions>, ToolResilienceOptionsValidator>();
        services.AddResiliencePipelineRegistry<ToolPipelineKey>(registry =>
        {
            // One metric name for every tool pipeline; the tool tells the instances apart.
            registry.BuilderNameFormatter = static _ => ToolResiliencePipelines.PipelineName;
            registry.InstanceNameFormatter = static key => key.ToolName;
        });
        // Adds error.type and the exception summary to Polly's metrics and logs.
        services.AddResilienceEnricher();
        services.TryAddSingleton<ToolResiliencePipelines>();

        services.AddOptions<ToolResultCacheOptions>().BindConfiguration(ToolResultCacheOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        if (builder.AddSomaAgentRedis())
        {
            // The process's one Redis connection, whose commands fail at once while Redis is away: a miss costs
            // nothing and a wait does.
            services.AddOptions<RedisCacheOptions>().Configure<IServiceProvider>((options, provider) =>
            {
                options.ConnectionMultiplexerFactory = () => Task.FromResult(provider.GetRequiredService<IConnectionMultiplexer>());
                options.InstanceName = RedisKeyPrefix;
            });
            // HybridCache finds this IDistributedCache and uses it as its second level. No health check on purpose:
            // while Redis is down the cache only misses, so it must not take the service out of rotation.
            services.TryAddSingleton<IDistributedCache>(sp =>
            {
                var pipeline = sp.GetRequiredService<ResiliencePipelineBuilder>();
                pipeline.ConfigureTelemetry(QuietResilienceTelemetry.From(sp.GetRequiredService<IOptions<TelemetryOptions>>().Value));
                return new GuardedDistributedCache(
                    new RedisCache(sp.GetRequiredService<IOptions<RedisCacheOptions>>()),
                    pipeline,
                    sp.GetRequiredService<ILogger<GuardedDistributedCache>>());
            });
        }
        services.AddHybridCache();
        services.TryAddSingleton<ToolResultCache>();

        // Every call is checked against the policy first (OPA_URL, else the built-in rules); refusals are audited.
        services.AddSomaAgentPolicy();
        services.AddSomaAgentAudit();
        services.TryAddSingleton<ToolPolicy>();
        services.TryAddSingleton<ToolExecutor>();
        return builder;
    }
}
