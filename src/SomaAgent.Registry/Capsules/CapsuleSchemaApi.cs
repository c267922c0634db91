using System.Text;
using SomaAgent.Capsules;
using SomaAgent.Registry.Capsules;

namespace Microsoft.AspNetCore.Builder;

/// <summary>The manifest schema, for editors, the <c>soma</c> CLI's lint and anyone writing a capsule.</summary>
public static class CapsuleSchemaApi
{
    public static IEndpointRouteBuilder MapCapsuleSchemaApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/capsule-schema", GetCapsuleSchema)
            .WithName("GetCapsuleSchema")
            .WithTags("Capsules")
            .WithSummary("The JSON Schema of capsule.yaml")
            .WithDescription("The schema publishing checks every manifest against (JSON Schema 2020-12). Needs no credential.")
            .AllowAnonymous()
            .Produces<string>(StatusCodes.Status200OK, CapsuleSchema.MediaType);
        return app;
    }

    public static IResult GetCapsuleSchema(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Text(CapsuleSchema.Text, CapsuleSchema.MediaType, Encoding.UTF8);
    }
}
