using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace SomaAgent.Registry.Capsules;

/// <summary>The multipart form <c>POST /v1/capsules</c> takes: its fields, and how OpenAPI documents them.</summary>
public static class PublishForm
{
    public const string ContentType = "multipart/form-data";
    public const string Package = "package";
    public const string Signature = "signature";
    public const string KeyId = "key_id";
    public const string Visibility = "visibility";

    /// <summary>
    /// Documents the form as the request body. The route reads the form itself (so a body of another type gets a
    /// 415 that names the form), hence no <c>Accepts</c> metadata to generate it from.
    /// </summary>
    public static RouteHandlerBuilder DocumentPublishForm(this RouteHandlerBuilder route) =>
        route.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [ContentType] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { Package, Signature, KeyId, Visibility },
                            Properties = new Dictionary<string, IOpenApiSchema>
                            {
                                [Package] = Field("The capsule as .tar.gz with capsule.yaml at its root.", "binary"),
                                [Signature] = Field("ECDSA P-256 / SHA-256 signature over the package bytes, DER, base64 (`cosign sign-blob --key`, or `openssl dgst -sha256 -sign key.pem package.tar.gz | base64 -w0`)."),
                                [KeyId] = Field("The id of the tenant's signing key that made the signature (`sha256:…`, from `POST /v1/signing-keys`)."),
                                [Visibility] = new OpenApiSchema
                                {
                                    Type = JsonSchemaType.String,
                                    Enum = [System.Text.Json.Nodes.JsonValue.Create("public"), System.Text.Json.Nodes.JsonValue.Create("private")],
                                    Description = "`public` (every tenant finds and installs it) or `private` (this tenant only). The latest publish sets it for the whole capsule.",
                                },
                            },
                        },
                    },
                },
            };
            return Task.CompletedTask;
        });

    private static OpenApiSchema Field(string description, string? format = null) =>
        new() { Type = JsonSchemaType.String, Format = format, Description = description };
}
