using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Security.Hardening;

/// <summary>
/// A fixed window per client address for requests that reach <c>/v1</c> without a valid credential. Authenticated
/// callers are limited per key and tenant elsewhere; this is what stops an anonymous flood from turning every
/// request into a key lookup and an audit line. In process: a replica counts alone, which is enough to blunt a
/// flood (the per-key limits are the exact ones).
/// </summary>
public sealed class UnauthenticatedRequestLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public UnauthenticatedRequestLimiter(IOptions<HttpHardeningOptions> options, IOptions<CallerOptions> callers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(callers);
        var permits = options.Value.UnauthenticatedRequestsPerMinute;
        Enabled = callers.Value.RequireAuth;
        _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        PermitsPerMinute = permits;
    }

    /// <summary>False while authentication is off: then every caller is anonymous and the per-key limits apply.</summary>
    public bool Enabled { get; }

    public int PermitsPerMinute { get; }

    /// <summary>Null when the request may go on, else the seconds to wait.</summary>
    public int? TryAcquire(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var lease = _limiter.AttemptAcquire(http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 60;
    }

    public void Dispose() => _limiter.Dispose();
}

/// <summary>Authentication as every SomaAgent service runs it: identify the caller, then cut off anonymous floods.</summary>
public static class SomaAgentAuthenticationPipeline
{
    /// <summary>In place of <c>UseAuthentication</c>; put <c>UseAuthorization</c> right after it.</summary>
    public static IApplicationBuilder UseSomaAgentAuthentication(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();
        var limiter = app.ApplicationServices.GetRequiredService<UnauthenticatedRequestLimiter>();
        if (!limiter.Enabled)
        {
            return app;
        }
        return app.Use(async (context, next) =>
        {
            if (context.User.Identity?.IsAuthenticated != true
                && context.Request.Path.StartsWithSegments("/v1") && !context.Request.Path.StartsWithSegments("/v1/health")
                && limiter.TryAcquire(context) is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await ProblemWriter.WriteAsync(context, ProblemCatalog.RateLimited,
                    $"This client sent more than {limiter.PermitsPerMinute} requests a minute without a valid credential; retry after {retryAfter} s with a valid API key or token.");
                return;
            }
            await next(context);
        });
    }
}
