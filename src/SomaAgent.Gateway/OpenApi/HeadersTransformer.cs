using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using SomaAgent.Gateway.Sessions;

namespace SomaAgent.Gateway.OpenApi;

/// <summary>
/// Documents the headers: <c>api-version</c> on every response (a reference to the shared component),
/// <c>Location</c> on 201 and 202, <c>Idempotent-Replayed</c> where <c>Idempotency-Key</c> is accepted, and
/// the request headers <c>Idempotency-Key</c> and <c>Last-Event-ID</c> with their rules.
/// </summary>
internal sealed class HeadersTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var idempotent = false;
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Header))
        {
            if (string.Equals(parameter.Name, OpenApiNames.IdempotencyKeyHeader, StringComparison.OrdinalIgnoreCase))
            {
                idempotent = true;
                parameter.Description = $"Makes retries safe: a repeat with the same key and body within 24 hours returns the first response instead of opening another session. 1 to {SessionsApi.MaxIdempotencyKeyLength} visible ASCII characters; a UUID is a good choice.";
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = SessionsApi.MaxIdempotencyKeyLength, Pattern = "^[!-~]+$" };
                parameter.Example = JsonValue.Create("6f1c2a9e-3b7d-4e08-9a51-2c4d8e7f6a10");
            }
            else if (string.Equals(parameter.Name, OpenApiNames.LastEventIdHeader, StringComparison.OrdinalIgnoreCase))
            {
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+$" };
                parameter.Example = JsonValue.Create("9");
            }
        }

        foreach (var (code, found) in operation.Responses ?? [])
        {
            if (found is not OpenApiResponse response)
            {
                continue;
            }
            response.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
            response.Headers[OpenApiNames.ApiVersionHeader] = new OpenApiHeaderReference(OpenApiNames.ApiVersionHeader, context.Document);
            if (code is "201" or "202")
            {
                response.Headers["Location"] = new OpenApiHeader
                {
                    Description = "The URL of the session.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
                    Example = JsonValue.Create($"/v1/sessions/{OpenApiExamples.SessionId}"),
                };
            }
            if (idempotent && code is "201")
            {
                response.Headers[OpenApiNames.IdempotentReplayedHeader] = new OpenApiHeader
                {
                    Description = "`true` when this response replays an earlier request with the same `Idempotency-Key`; absent otherwise.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("true")] },
                };
            }
        }
        return Task.CompletedTask;
    }
}
