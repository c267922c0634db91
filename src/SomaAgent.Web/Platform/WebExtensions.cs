using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using MudBlazor.Services;
using SomaAgent.Web.Account;

namespace SomaAgent.Web.Platform;

public static class WebExtensions
{
    /// <summary>
    /// The Web's services: Razor components with interactive server rendering, MudBlazor, the SDK against the gateway
    /// (<c>SomaAgent:Web:GatewayUrl</c>, default service discovery), and cookie sign-in whose tickets (with the user's
    /// credential) stay in the distributed cache: Redis when <c>ConnectionStrings:redis</c> is set, memory otherwise.
    /// </summary>
    public static WebApplicationBuilder AddSomaAgentWeb(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        var gateway = new Uri(builder.Configuration["SomaAgent:Web:GatewayUrl"] ?? "https+http://gateway");
        services.AddSomaAgentClient(settings => settings.BaseAddress = gateway);

        if (builder.Configuration.GetConnectionString("redis") is { Length: > 0 } redis)
        {
            services.AddStackExchangeRedisCache(options => options.Configuration = redis);
        }
        else
        {
            services.AddDistributedMemoryCache();
        }
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ITicketStore, DistributedCacheTicketStore>();
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
            })
            .AddSomaAgentOidc(builder.Configuration);
        services.AddAuthorization();
        services.AddCascadingAuthenticationState();
        services.AddScoped<UserClient>();
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
