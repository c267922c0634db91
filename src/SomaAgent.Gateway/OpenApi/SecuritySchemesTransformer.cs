using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SomaAgent.Gateway.OpenApi;

/// <summary>
/// Declares the two ways to send an API key (bearer and <c>X-API-Key</c>) and requires one of them on every
/// operation that answers 401, which is every /v1 route but <c>/v1/health</c>.
/// </summary>
internal sealed class SecuritySchemesTransformer : IOpenApiDocumentTransformer
{
    public const string Bearer = "bearer";
    public const string ApiKey = "apiKey";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key (`sk_<prefix>_<secret>`) or a JWT (HS256 with the shared secret, or RS/PS/ES from the OIDC issuer) as `Authorization: Bearer <key or token>`.",
        };
        document.Components.SecuritySchemes[ApiKey] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = SomaAgent.Security.Keys.ApiKeyAuthenticationHandler.HeaderName,
            Description = "The same API key in the `X-API-Key` header.",
        };

        foreach (var operation in document.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            if (operation.Responses?.ContainsKey("401") == true)
            {
                operation.Security =
                [
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] },
                    new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKey, document)] = [] },
                ];
            }
        }
        return Task.CompletedTask;
    }
}
