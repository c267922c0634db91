using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using SomaAgent.Gateway.Problems;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.OpenApi;

/// <summary>
/// The document-wide parts: title and introduction, a relative server, tag descriptions, and the shared
/// components (the problem schemas and the <c>api-version</c> header) that the operation transformers reference.
/// </summary>
internal sealed class GatewayDocumentTransformer : IOpenApiDocumentTransformer
{
    public const string Title = "SomaAgent Gateway API";

    private const string Introduction = """
        Open agent sessions, add turns, cancel them, read and stream their events, list the models and tools a session can use, and manage tenants and API keys.

        **Authentication.** Every route but `GET /v1/health` needs an API key, sent as `Authorization: Bearer <key>` or `X-API-Key: <key>`, or a bearer token (JWT: HS256 signed with the shared secret, or issued by the OIDC issuer) with `tenant` and `scope` claims (unless the operator set `GATEWAY_REQUIRE_AUTH=false`). A key belongs to one tenant and carries scopes (`platform:admin`, `tenant:admin`, `sessions:read`, `sessions:write`, `models:read`, `capsules:read`, `capsules:publish`, `capsules:install`); a request sees only its tenant's data. A missing or bad key answers 401 with `WWW-Authenticate: Bearer`; a missing scope, or an `X-Tenant-Id` header naming another tenant, answers 403. A platform admin acts for another tenant by sending `X-Tenant-Id`.

        Conventions:

        - JSON bodies use `snake_case` names; timestamps are ISO 8601 in UTC.
        - Every response carries the header `api-version: 1`. A path under another version (for example `/v2/...`) answers 404 with type `urn:somaagent:problem:unsupported-api-version`.
        - Every error is `application/problem+json` (RFC 7807) with a stable `type` URN to branch on, a human `detail`, and the `trace_id` that finds the request in the logs. Validation problems (400) add `errors`, naming each bad field. The one exception is the OpenAI-compatible `/v1/chat/completions`, whose errors use OpenAI's `{"error": {"message", "type", "param", "code"}}` shape so OpenAI SDKs understand them.
        - `POST /v1/sessions` accepts an `Idempotency-Key` header: a retry with the same key and body returns the same session (with `Idempotent-Replayed: true`) for 24 hours.
        - `GET /v1/sessions/{id}/events` is a Server-Sent Events stream: `id` is the event's sequence, `event` its type, `data` the event as JSON. Reconnect with `Last-Event-ID` to resume exactly after the last event received.

        **Capsules.** The capsule registry's routes (`/v1/capsules`, `/v1/capsule-schema`, `/v1/signing-keys`, `/v1/installations`) are served at this base URL too: the gateway forwards them to the Registry, authenticating and rate-limiting them here. They are described in the Registry's own document (`/openapi.json` of the Registry service) and in docs/capsules.md; while the Registry is down they answer 503 with type `urn:somaagent:problem:registry-unavailable`.
        """;

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = Title;
        document.Info.Version = "v1";
        document.Info.Description = Introduction.ReplaceLineEndings("\n");
        document.Servers = [new OpenApiServer { Url = "/", Description = "The gateway that serves this document." }];

        foreach (var tag in document.Tags ?? Enumerable.Empty<OpenApiTag>())
        {
            tag.Description = tag.Name switch
            {
                "Sessions" => "Agent sessions: open one, add turns, cancel the running turn, read the transcript and stream events.",
                "Catalog" => "What a session can use: the models and the tools (with the JSON schemas of their arguments).",
                "Chat Completions" => "OpenAI-compatible chat completions: OpenAI SDKs work unmodified with their base URL at `/v1`; each completion runs as a session.",
                "Health" => "Whether the gateway and its backing services are healthy.",
                "Keys" => "The caller's tenant's API keys: create one (the secret is shown once), list them, revoke one. Needs `tenant:admin`.",
                "Tenants" => "Tenants and their first admin keys. Needs `platform:admin`, which only the bootstrap key holds.",
                _ => tag.Description,
            };
        }

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.Schemas[OpenApiNames.ProblemSchema] = ProblemSchema(withErrors: false);
        document.Components.Schemas[OpenApiNames.ValidationProblemSchema] = ProblemSchema(withErrors: true);
        // The SSE route's generated body schema (SseItem<string>) describes .NET's item type, not the wire; the
        // SSE transformer replaces it, so the component is dropped when nothing references it any more.
        if (!IsReferencedByAResponse(document, OpenApiNames.SseItemSchema))
        {
            document.Components.Schemas.Remove(OpenApiNames.SseItemSchema);
        }

        document.Components.Headers ??= new Dictionary<string, IOpenApiHeader>(StringComparer.Ordinal);
        document.Components.Headers[OpenApiNames.ApiVersionHeader] = new OpenApiHeader
        {
            Description = "The API version that served the request. This build serves version 1 only.",
            Required = true,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create(GatewayExtensions.ApiVersion)] },
            Example = JsonValue.Create(GatewayExtensions.ApiVersion),
        };
        return Task.CompletedTask;
    }

    /// <summary>The problem shape of <see cref="ProblemDetailsSetup"/>: RFC 7807 plus <c>trace_id</c> (and <c>errors</c> on 400).</summary>
    private static OpenApiSchema ProblemSchema(bool withErrors)
    {
        var properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
        {
            ["type"] = Text($"Stable URN naming the kind of problem, such as `{ProblemCatalog.SessionNotFound.Type}`; clients branch on this, never on `title` or `detail`."),
            ["title"] = Text("Short summary of the kind of problem."),
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code." },
            ["detail"] = Text("What went wrong with this request and how to fix it."),
            ["instance"] = Text("The path of the request."),
            ["trace_id"] = Text("W3C trace id of the request; quote it when reporting a problem."),
        };
        if (withErrors)
        {
            properties["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Present when `type` is `urn:somaagent:problem:validation`: the messages for each bad field, parameter or header, keyed by its name (for example `input`, `messages[0].role`, `limit`, `Idempotency-Key`).",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            };
        }
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = withErrors
                ? "A problem (RFC 7807) for a request that is not valid; a validation problem adds `errors`, naming each invalid input."
                : "A problem (RFC 7807), always sent as `application/problem+json`.",
            Properties = properties,
            Required = new SortedSet<string>(["type", "title", "status", "trace_id"], StringComparer.Ordinal),
        };
    }

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };

    private static bool IsReferencedByAResponse(OpenApiDocument document, string schemaId) =>
        document.Paths.Values
            .SelectMany(path => path.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
            .SelectMany(operation => operation.Responses?.Values ?? Enumerable.Empty<IOpenApiResponse>())
            .SelectMany(response => response.Content?.Values ?? Enumerable.Empty<OpenApiMediaType>())
            .Any(media => media.Schema is OpenApiSchemaReference reference && reference.Reference.Id == schemaId);
}
