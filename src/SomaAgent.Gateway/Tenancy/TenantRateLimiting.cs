using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SomaAgent.Gateway.Configuration;
using SomaAgent.Gateway.Problems;

namespace SomaAgent.Gateway.Tenancy;

/// <summary>
/// A token bucket per tenant on every <c>/v1</c> route (probes, metrics and docs are never limited). A refused
/// request gets 429 problem+json with <c>Retry-After</c>. In-process: each gateway replica counts alone until
/// the security issue moves the counters to Redis.
/// </summary>
internal static class TenantRateLimiting
{
    public static IServiceCollection AddTenantRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<GatewayOptions>, CallerAccessor>((limiter, gateway, callers) =>
        {
            var options = gateway.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.Request.Path.StartsWithSegments("/v1")
                    ? RateLimitPartition.GetTokenBucketLimiter(callers.Current.TenantId, _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.RequestBurst,
                        TokensPerPeriod = options.RequestsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    })
                    : RateLimitPartition.GetNoLimiter("unlimited"));
            limiter.OnRejected = (context, _) => WriteProblemAsync(context, options.RequestsPerSecond);
        });
        return services;
    }

    private static async ValueTask WriteProblemAsync(OnRejectedContext context, int limit)
    {
        var http = context.HttpContext;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Type = ProblemTypes.RateLimited,
                Title = "Too many requests",
                Detail = $"This tenant is over its limit of {limit} requests per second; retry after {retryAfter} s.",
            },
        });
    }
}
