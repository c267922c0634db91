using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using SomaAgent.Web.Account;
using StackExchange.Redis;

namespace SomaAgent.Web.Platform;

public static class WebExtensions
{
    /// <summary>The Redis key under which the Web's replicas keep their shared data-protection key ring.</summary>
    public const string DataProtectionKeys = "somaagent:web:data-protection-keys";

    private const string RedisConnectionName = "redis";

    /// <summary>
    /// The Web's services: Razor components with interactive server rendering, MudBlazor, the SDK against the gateway
    /// (<c>SomaAgent:Web:GatewayUrl</c>, default service discovery), and cookie sign-in whose tickets (with the user's
    /// credential) stay in the distributed cache: Redis when <c>ConnectionStrings:redis</c> is set, memory otherwise. With
    /// Redis the data-protection key ring lives there too, so every replica reads every other's cookies.
    /// </summary>
    public static WebApplicationBuilder AddSomaAgentWeb(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        var gateway = new Uri(builder.Configuration["SomaAgent:Web:GatewayUrl"] ?? "https+http://gateway");
        services.AddSomaAgentClient(settings => settings.BaseAddress = gateway);

        // Cookies, antiforgery tokens and the tickets in the cache are all data-protected: replicas behind one load
        // balancer must share the key ring, or a user signed in on one replica is a stranger to the next.
        services.AddDataProtection().SetApplicationName("SomaAgent.Web");
        if (builder.Configuration.GetConnectionString(RedisConnectionName) is { Length: > 0 })
        {
            // Aspire's Redis client: one connection for the ticket cache and the key ring, retried in the background
            // (AbortOnConnectFail off), so the Web starts and serves its sign-in page while Redis is still coming up.
            // Its health check stays on: without Redis no one can sign in here, so this replica is not ready.
            builder.AddRedisClient(RedisConnectionName, configureOptions: options => options.AbortOnConnectFail = false);
            services.AddStackExchangeRedisCache(_ => { });
            services.AddOptions<RedisCacheOptions>().Configure<IServiceProvider>((options, provider) =>
                options.ConnectionMultiplexerFactory = () => Task.FromResult(provider.GetRequiredService<IConnectionMultiplexer>()));
            services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((options, provider) =>
                options.XmlRepository = new RedisXmlRepository(() => provider.GetRequiredService<IConnectionMultiplexer>().GetDatabase(), DataProtectionKeys));
        }
        else
        {
            services.AddDistributedMemoryCache();
        }
        services.AddUserClients();
        services.AddSingleton<IPostConfigureOptions<CookieAuthenticationOptions>, UseTicketStore>();
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.LoginPath = "/account/login";
                options.AccessDeniedPath = "/account/login";
                options.Cookie.Name = "somaagent.web";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.ExpireTimeSpan = DistributedCacheTicketStore.DefaultLifetime;
                options.SlidingExpiration = true;
                options.EventsType = typeof(SignInCookieEvents);
            })
            .AddSomaAgentOidc(builder.Configuration);
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddScoped<SignInCookieEvents>();
        return builder;
    }

    /// <summary>Signs the user out (a form post with its antiforgery token) and leads to the sign-in page.</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapOidcSignIn();
        app.MapPost("/account/logout", async (HttpContext context, [FromForm] string? returnUrl) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.LocalRedirect("/account/login");
        }).WithMetadata(new AllowAnonymousAttribute());
        return app;
    }
}
