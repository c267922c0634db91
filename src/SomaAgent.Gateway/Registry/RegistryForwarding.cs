using Microsoft.Extensions.Options;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Keys;
using SomaAgent.Security.Problems;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace SomaAgent.Gateway.Registry;

/// <summary>Section <c>SomaAgent:Registry</c> of the gateway; <c>REGISTRY_MAX_CAPSULE_BYTES</c> overrides <see cref="MaxCapsuleBytes"/>.</summary>
public sealed class RegistryForwardingOptions
{
    public const string SectionName = "SomaAgent:Registry";

    /// <summary>The largest capsule a publish may carry through the gateway; the registry applies the same limit. Default 50 MiB.</summary>
    [System.ComponentModel.DataAnnotations.Range(1024, 1L << 32)]
    public long MaxCapsuleBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>The body limit of a forwarded request: the capsule and the multipart form around it.</summary>
    public long MaxBodyBytes => MaxCapsuleBytes + (64 * 1024);
}

/// <summary>
/// One base URL: the gateway forwards the registry's routes (capsules, signing keys, installations, the capsule
/// schema) to the service named <c>registry</c> in service discovery (<c>services__registry__http__0</c>) with YARP.
/// The gateway authenticates and rate-limits the request and records its refusals; the registry takes the caller
/// from a signed <see cref="ForwardedCaller"/> header instead of checking the key again, and decides scopes, policy
/// and access. A registry that does not answer is a 503 problem.
/// </summary>
public static partial class RegistryForwarding
{
    public const string ServiceName = "registry";
    private const string ClusterId = "registry";

    /// <summary>The paths the registry serves behind the gateway.</summary>
    private static readonly string[] Prefixes = ["/v1/capsules", "/v1/capsule-schema", "/v1/signing-keys", "/v1/installations"];

    public static bool IsForwarded(PathString path) => Prefixes.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    public static IHostApplicationBuilder AddRegistryForwarding(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<RegistryForwardingOptions>().BindConfiguration(RegistryForwardingOptions.SectionName)
            .PostConfigure<IConfiguration>((options, configuration) =>
                options.MaxCapsuleBytes = configuration.GetValue("REGISTRY_MAX_CAPSULE_BYTES", options.MaxCapsuleBytes))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        RouteConfig[] routes =
        [
            Route("capsules", "/v1/capsules/{**rest}"),
            Route("signing-keys", "/v1/signing-keys/{**rest}"),
            Route("installations", "/v1/installations/{**rest}"),
            // The schema is public, at the registry and here.
            Route("capsule-schema", "/v1/capsule-schema", "anonymous"),
        ];
        ClusterConfig[] clusters =
        [
            new()
            {
                ClusterId = ClusterId,
                Destinations = new Dictionary<string, DestinationConfig> { [ServiceName] = new() { Address = $"http://{ServiceName}" } },
                // An upload of 50 MiB on a slow link; the default 100 s of silence would cut it.
                HttpRequest = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(5) },
            },
        ];
        builder.Services.AddReverseProxy()
            .LoadFromMemory(routes, clusters)
            .AddServiceDiscoveryDestinationResolver()
            .AddTransforms(context => context.AddRequestTransform(transform =>
            {
                var http = transform.HttpContext;
                var headers = transform.ProxyRequest.Headers;
                // Only the gateway says who the caller is.
                headers.Remove(ForwardedCaller.HeaderName);
                var forwarded = http.RequestServices.GetRequiredService<ForwardedCaller>();
                if (forwarded.Enabled && http.User.Identity?.IsAuthenticated == true)
                {
                    headers.Remove("Authorization");
                    headers.Remove(ApiKeyAuthenticationHandler.HeaderName);
                    headers.TryAddWithoutValidation(ForwardedCaller.HeaderName, forwarded.Sign(http.User, http.Request.Method, http.Request.Path.Value ?? "/"));
                }
                return ValueTask.CompletedTask;
            }));
        return builder;
    }

    /// <summary>Maps the forwarded routes; a registry that cannot be reached answers 503 problem+json.</summary>
    public static IEndpointRouteBuilder MapRegistryForwarding(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapReverseProxy(proxy => proxy.Use(async (context, next) =>
        {
            await next();
            if (context.GetForwarderErrorFeature() is { } failure && !context.Response.HasStarted)
            {
                LogUnavailable(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RegistryForwarding)), failure.Error, failure.Exception);
                context.Response.Headers.RetryAfter = "5";
                await ProblemWriter.WriteAsync(context, ProblemCatalog.RegistryUnavailable,
                    "The capsule registry did not answer, so nothing was done. Retry shortly; the gateway's own routes are unaffected.",
                    status: StatusCodes.Status503ServiceUnavailable);
            }
        }));
        return app;
    }

    private static RouteConfig Route(string id, string path, string authorization = "default") => new()
    {
        RouteId = id,
        ClusterId = ClusterId,
        Match = new RouteMatch { Path = path },
        AuthorizationPolicy = authorization,
    };

    [LoggerMessage(EventId = 6020, Level = LogLevel.Warning, Message = "The registry could not be reached ({Error}); answered 503")]
    private static partial void LogUnavailable(ILogger logger, ForwarderError error, Exception? exception);
}
