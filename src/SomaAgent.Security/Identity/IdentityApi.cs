using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace SomaAgent.Security.Identity;

/// <summary>
/// <c>GET /v1/me</c>: who the presented credential is, on every service that authenticates. Clients use it to
/// check a key or token before they rely on it; operators to see what a credential may do.
/// </summary>
public static class IdentityApi
{
    public static IEndpointRouteBuilder MapIdentityApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/v1/me", GetIdentity)
            .WithTags("Identity")
            .WithName("GetIdentity")
            .WithSummary("Describe the calling credential: tenant, subject and scopes")
            .WithDescription("Never answers a secret. With authentication off it describes the anonymous principal.");
        return app;
    }

    public static Ok<CallerIdentity> GetIdentity(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var user = http.User;
        return TypedResults.Ok(new CallerIdentity(
            user.FindFirst(SomaAgentClaims.Tenant)?.Value,
            user.FindFirst(SomaAgentClaims.Subject)?.Value ?? "anonymous",
            user.FindFirst(SomaAgentClaims.KeyName)?.Value,
            [.. user.FindAll(SomaAgentClaims.Scope).Select(c => c.Value)],
            user.Identity?.AuthenticationType));
    }

    /// <param name="Tenant">The credential's tenant (null for the anonymous principal).</param>
    /// <param name="Subject">An API key's id or a token's subject.</param>
    /// <param name="KeyName">The API key's name, for keys.</param>
    /// <param name="Scopes">What the credential may do.</param>
    /// <param name="Scheme">How it proved itself: <c>api_key</c> or <c>jwt</c> (null for the anonymous principal).</param>
    public sealed record CallerIdentity(string? Tenant, string Subject, string? KeyName, IReadOnlyList<string> Scopes, string? Scheme);
}
