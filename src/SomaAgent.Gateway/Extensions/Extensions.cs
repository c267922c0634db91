using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;
using SomaAgent.Gateway.Capsules;
using SomaAgent.Gateway.ChatCompletions;
using SomaAgent.Gateway.Configuration;
using SomaAgent.Gateway.Problems;
using SomaAgent.Gateway.Registry;
using SomaAgent.Gateway.Security;
using SomaAgent.Gateway.Sessions;
using SomaAgent.Gateway.Telemetry;
using SomaAgent.Runtime.Messaging;
using SomaAgent.Security;
using SomaAgent.Security.Hardening;
using SomaAgent.Security.Policy;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Everything the gateway depends on, in one place.</summary>
public static class GatewayExtensions
{
    public const string ApiVersionHeader = "api-version";
    public const string ApiVersion = "1";

    public static IHostApplicationBuilder AddGatewayServices(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<GatewayOptions>, GatewayOptionsSetup>();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        builder.ListenOnGatewayPort();

        services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        // Ahead of the default writer: problems on the OpenAI-compatible routes are written in OpenAI's error shape.
        services.AddSingleton<IProblemDetailsWriter, OpenAIProblemDetailsWriter>();
        services.AddSomaAgentProblemDetails("gateway");
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<StoreUnavailableExceptionHandler>();
        services.AddGatewayOpenApi();

        builder.AddGatewaySecurity();
        builder.AddSomaAgentHttpHardening();
        builder.AddGatewayRateLimits();
        services.AddSingleton<SessionRequestValidator>();
        services.AddSingleton<SessionQueries>();
        services.AddHttpClient<SessionCapsules>(client => client.BaseAddress = new Uri($"http://{RegistryForwarding.ServiceName}"));
        services.AddSingleton<SessionEventHub>();
        services.AddSingleton<StartedTurnEvents>();
        services.AddSingleton<SessionEventStream>();
        services.AddSingleton<ChatCompletionRequestValidator>();

        // Every gateway instance reads every new event (streams replay the past from the store), so a client
        // can stream any session from any instance.
        var bus = builder.AddSomaAgentEngine()
            .UseKafkaOrInMemoryBus(builder.Configuration)
            .AddSubscription<SessionEventsAppended, SessionEventsAppendedHandler>(Topics.SessionEvents, "gateway", BusDelivery.EveryInstance);
        if (builder.Configuration.GetValue($"{GatewayOptions.SectionName}:HostWorkers", true))
        {
            bus.AddConversationWorker().AddToolExecutor();
        }
        services.AddGgufModels();
        builder.AddRegistryForwarding();
        return builder;
    }

    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var ownLimit = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes;
        var registryLimit = app.Services.GetRequiredService<IOptions<RegistryForwardingOptions>>().Value.MaxBodyBytes;

        app.UseGatewayLatency();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseSomaAgentHttpHardening();
        app.Use((context, next) =>
        {
            // OnStarting, so the header survives the exception handler clearing the response.
            context.Response.OnStarting(static state =>
            {
                ((HttpResponse)state).Headers[ApiVersionHeader] = ApiVersion;
                return Task.CompletedTask;
            }, context.Response);
            // Capsules going to the registry may be far larger than the gateway's own JSON bodies.
            var limit = RegistryForwarding.IsForwarded(context.Request.Path) ? registryLimit : ownLimit;
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }
            // Refuse a declared oversize body before reading a byte of it.
            if (context.Request.ContentLength > limit)
            {
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }
            return next(context);
        });
        // Authenticated before the rate limits, so requests are counted against their own key and tenant.
        app.UseSomaAgentAuthentication();
        app.UseAuthorization();
        app.UseGatewayRateLimits();
        // After the rate limits, so a flood is refused before it reaches the policy engine.
        app.UsePolicy();
        return app;
    }

    public static WebApplication MapGatewayDocs(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapOpenApi("/openapi.json");
        app.MapScalarApiReference("/scalar", options => options
            .WithTitle("SomaAgent Gateway API")
            .WithOpenApiRoutePattern("/openapi.json"));
        return app;
    }

    public static void ConfigureJson(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.AllowTrailingCommas = false;
        options.UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip;
    }

    /// <summary>GATEWAY_PORT wins; otherwise explicit ASP.NET Core URLs; otherwise port 8010.</summary>
    private static void ListenOnGatewayPort(this WebApplicationBuilder builder)
    {
        var explicitPort = builder.Configuration["GATEWAY_PORT"];
        if (explicitPort is null && !string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            return;
        }
        var port = builder.Configuration.GetValue("GATEWAY_PORT", builder.Configuration.GetValue($"{GatewayOptions.SectionName}:Port", 8010));
        builder.WebHost.UseUrls($"http://*:{port}");
    }
}
