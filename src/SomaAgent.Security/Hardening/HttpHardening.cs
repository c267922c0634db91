using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Keys;

namespace SomaAgent.Security.Hardening;

/// <summary>
/// Section <c>SomaAgent:Http</c>: what every HTTP service of the platform accepts from a browser or a client.
/// <c>CORS_ALLOWED_ORIGINS</c> (comma separated) overrides <see cref="CorsOrigins"/>.
/// </summary>
public sealed class HttpHardeningOptions
{
    public const string SectionName = "SomaAgent:Http";

    /// <summary>Origins a browser may call the API from, e.g. <c>https://console.example.com</c>. Default none: no CORS at all.</summary>
    public IList<string> CorsOrigins { get; } = [];

    /// <summary>Largest total size of a request's headers. Default 32 KiB (a large JWT fits; a header flood does not).</summary>
    [Range(4 * 1024, 1024 * 1024)]
    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;

    /// <summary>Most headers one request may carry. Default 64.</summary>
    [Range(8, 1000)]
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>Longest request line (method, path and query). Default 8 KiB.</summary>
    [Range(1024, 64 * 1024)]
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// Requests per minute one client address may make on <c>/v1</c> without a valid credential, per service
    /// process (<c>SomaAgent:Http:UnauthenticatedRequestsPerMinute</c>). Default 300: a mistyped key is fine, a
    /// credential-guessing or 401 flood (each costs a key lookup and an audit line) is cut off with 429.
    /// </summary>
    [Range(1, 1_000_000)]
    public int UnauthenticatedRequestsPerMinute { get; set; } = 300;
}

/// <summary>
/// Header and request-line limits, CORS from configuration, and the security headers every response carries.
/// Shared by the gateway and the registry so the platform answers browsers the same way everywhere.
/// </summary>
public static class HttpHardening
{
    public const string CorsPolicy = "somaagent";

    /// <summary>What a browser client may send and read: our credentials, tenancy, idempotency, SSE resume and limits.</summary>
    private static readonly string[] AllowedHeaders = ["Authorization", ApiKeyAuthenticationHandler.HeaderName, CallerAccessor.TenantHeader, "Content-Type", "Idempotency-Key", "Last-Event-ID"];
    private static readonly string[] ExposedHeaders = ["Retry-After", "api-version", "Location", "RateLimit-Limit", "RateLimit-Remaining"];

    public static IHostApplicationBuilder AddSomaAgentHttpHardening(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<HttpHardeningOptions>().BindConfiguration(HttpHardeningOptions.SectionName)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                if (configuration["CORS_ALLOWED_ORIGINS"] is { Length: > 0 } origins)
                {
                    options.CorsOrigins.Clear();
                    foreach (var origin in origins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        options.CorsOrigins.Add(origin);
                    }
                }
            })
            .ValidateDataAnnotations()
            .Validate(o => o.CorsOrigins.All(IsOrigin), "SomaAgent:Http:CorsOrigins / CORS_ALLOWED_ORIGINS must be origins like https://console.example.com (scheme, host, optional port; no path, no '*').")
            .ValidateOnStart();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<HttpHardeningOptions>>((kestrel, hardening) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestHeadersTotalSize = hardening.Value.MaxRequestHeadersTotalBytes;
            kestrel.Limits.MaxRequestHeaderCount = hardening.Value.MaxRequestHeaderCount;
            kestrel.Limits.MaxRequestLineSize = hardening.Value.MaxRequestLineBytes;
        });
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<HttpHardeningOptions>>((cors, hardening) =>
            cors.AddPolicy(CorsPolicy, policy => policy
                .WithOrigins([.. hardening.Value.CorsOrigins])
                .WithHeaders(AllowedHeaders)
                .WithExposedHeaders(ExposedHeaders)
                .WithMethods("GET", "POST", "DELETE")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        return builder;
    }

    /// <summary>Security headers on every response, then CORS (before authentication, so a preflight needs no credential).</summary>
    public static IApplicationBuilder UseSomaAgentHttpHardening(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state => ApplySecurityHeaders((HttpContext)state), context);
            return next(context);
        });
        return app.UseCors(CorsPolicy);
    }

    private static Task ApplySecurityHeaders(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        // The API reference page runs its own scripts; everything else is data and may load nothing.
        if (!context.Request.Path.StartsWithSegments("/scalar"))
        {
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
        }
        // Answers carry tenants' data and, once, key secrets: no shared cache may keep them.
        if (context.Request.Path.StartsWithSegments("/v1") && !headers.ContainsKey("Cache-Control"))
        {
            headers.CacheControl = "no-store";
        }
        if (context.Request.IsHttps)
        {
            headers.StrictTransportSecurity = "max-age=31536000";
        }
        return Task.CompletedTask;
    }

    private static bool IsOrigin(string value)
    {
        var origin = value.TrimEnd('/');
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && uri.Scheme is "http" or "https"
            && origin.Equals(uri.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
    }
}
