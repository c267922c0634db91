using Microsoft.AspNetCore.Http.HttpResults;

namespace Microsoft.AspNetCore.Builder;

/// <summary>What the registry serves today; capsule routes arrive with the marketplace issue.</summary>
public static class RegistryInfoApi
{
    public static IEndpointRouteBuilder MapRegistryInfo(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", GetInfo).WithName("GetRegistryInfo").WithSummary("Describe the registry service").WithTags("Registry");
        return app;
    }

    public static Ok<RegistryInfo> GetInfo() => TypedResults.Ok(new RegistryInfo(
        "somaagent-registry",
        "v1",
        "Capsule registry. Publishing, signing and installing capsules arrive with the marketplace issue.",
        ["/health", "/alive", "/metrics", "/openapi.json", "/scalar", "/v1/me", "/v1/capsule-schema"]));

    public sealed record RegistryInfo(string Service, string ApiVersion, string Description, IReadOnlyList<string> Endpoints);
}
