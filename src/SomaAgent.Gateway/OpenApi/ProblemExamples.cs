using System.Text.Json.Nodes;
using SomaAgent.Gateway.Configuration;
using SomaAgent.Gateway.Sessions;
using SomaAgent.Gateway.Tenancy.RateLimiting;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.OpenApi;

/// <summary>
/// When each error status happens, and an example of each problem, per operation. The texts follow what
/// <see cref="Problem"/>, <see cref="ProblemDetailsSetup"/> and the handlers really send.
/// </summary>
internal static class ProblemExamples
{
    public const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";

    public sealed record Example(string Name, string Summary, JsonObject Value);

    public static string Describe(string? operationId, int status) => (operationId, status) switch
    {
        (_, 400) => "The request is not valid: `errors` names each bad parameter, header or body field (`urn:somaagent:problem:validation`), or the body is not JSON for this route (`urn:somaagent:problem:malformed-json`).",
        (_, 401) => "No credential, or one that is malformed, unknown, revoked or expired (`urn:somaagent:problem:unauthorized`, with `WWW-Authenticate: Bearer`, plus `error=\"invalid_token\"` and the reason when a credential was sent). Send `Authorization: Bearer <key or token>` or `X-API-Key: <key>`.",
        (_, 403) => "The credential lacks the scope this route needs, or `X-Tenant-Id` names another tenant than the credential's (`urn:somaagent:problem:forbidden`); `detail` names which.",
        ("RevokeKey", 404) => "No key with this id exists for the caller's tenant (`urn:somaagent:problem:not-found`).",
        ("CreateKey", 404) => "The tenant a platform admin named in `X-Tenant-Id` does not exist (`urn:somaagent:problem:not-found`).",
        ("CreateTenant", 409) => "A tenant with this id already exists (`urn:somaagent:problem:conflict`).",
        (_, 404) => "No session with this id exists for the caller's tenant (`urn:somaagent:problem:not-found`).",
        ("PostMessage", 409) => "The latest turn is still running (`urn:somaagent:problem:turn-in-progress`); post when it has ended, or cancel it first.",
        ("CancelTurn", 409) => "The latest turn has already ended (`urn:somaagent:problem:turn-not-running`); there is nothing to cancel.",
        (_, 409) => "The request conflicts with the current state of the resource.",
        (_, 413) => $"The body is larger than the gateway accepts (`urn:somaagent:problem:payload-too-large`; `GATEWAY_MAX_BODY_BYTES`, default {new GatewayOptions().MaxRequestBodyBytes} bytes).",
        (_, 415) => "The body is not sent as `application/json` (`urn:somaagent:problem:unsupported-media-type`).",
        (_, 422) => "This `Idempotency-Key` was already used with a different body (`urn:somaagent:problem:idempotency-key-reused`); use a new key for a new request.",
        ("CreateSession" or "PostMessage", 429) => "The API key or the tenant is over its requests per minute, or this would start a turn while the tenant is at its concurrent-sessions quota (`urn:somaagent:problem:rate-limited`; `detail` names which); wait the `Retry-After` seconds and retry.",
        (_, 429) => "The API key or the tenant is over its requests per minute (`urn:somaagent:problem:rate-limited`; `detail` names which); wait the `Retry-After` seconds and retry.",
        (_, 500) => "The gateway failed to handle the request (`urn:somaagent:problem:internal`); the `trace_id` finds it in the logs.",
        _ => "The request failed; see the problem's `type` and `detail`.",
    };

    public static IEnumerable<Example> For(string? operationId, int status, string path)
    {
        var instance = path.Replace("{id}", OpenApiExamples.SessionId.ToString(), StringComparison.Ordinal);
        switch (status)
        {
            case 400:
                foreach (var example in Validation(operationId, instance))
                {
                    yield return example;
                }
                break;
            case 401:
                yield return new("missing_credential", "No API key was sent",
                    Build(ProblemCatalog.Unauthorized, "This route needs an API key or a bearer token: send 'Authorization: Bearer <key or token>' or 'X-API-Key: <key>'.", instance));
                yield return new("revoked_key", "The key was revoked",
                    Build(ProblemCatalog.Unauthorized, "The API key has been revoked; create a new one.", instance));
                break;
            case 403:
                yield return new("insufficient_scope", "The key lacks the route's scope",
                    Build(ProblemCatalog.InsufficientScope, "This route needs the scope 'sessions:write', which the credential does not carry.", instance));
                yield return new("tenant_mismatch", "X-Tenant-Id names another tenant",
                    Build(ProblemCatalog.TenantMismatch, "The X-Tenant-Id header names another tenant than the credential's ('acme'); omit it or send 'acme'.", instance));
                break;
            case 404 when operationId is "RevokeKey" or "GetKey":
                yield return new("not_found", "The key does not exist for this tenant",
                    Build(ProblemCatalog.KeyNotFound, $"No key with id '{OpenApiExamples.SessionId}' exists for this tenant.", instance));
                break;
            case 404 when operationId is "CreateKey" or "GetTenant":
                yield return new("not_found", "The named tenant does not exist",
                    Build(ProblemCatalog.TenantNotFound, "No tenant 'acme' exists.", instance));
                break;
            case 409 when operationId == "CreateTenant":
                yield return new("tenant_exists", "The tenant exists",
                    Build(ProblemCatalog.TenantExists, "A tenant 'acme' already exists.", instance));
                break;
            case 404:
                yield return new("not_found", "The session does not exist",
                    Build(ProblemCatalog.SessionNotFound, $"No session with id '{OpenApiExamples.SessionId}' exists for this tenant.", instance));
                break;
            case 409 when operationId == "CancelTurn":
                yield return new("turn_not_running", "The latest turn has ended",
                    Build(ProblemCatalog.TurnNotRunning, "Turn 1 has already ended (completed); there is nothing to cancel.", instance));
                break;
            case 409:
                yield return new("turn_in_progress", "A turn is running",
                    Build(ProblemCatalog.TurnInProgress, "Turn 2 is running; post the next message when it has ended, or cancel it first.", instance));
                break;
            case 413:
                yield return new("payload_too_large", "The body is too large",
                    Build(ProblemCatalog.PayloadTooLarge, $"The request body is larger than the limit of {new GatewayOptions().MaxRequestBodyBytes} bytes.", instance));
                break;
            case 415:
                yield return new("unsupported_media_type", "The body is not JSON",
                    Build(ProblemCatalog.UnsupportedMediaType, "Send the body as application/json, not 'text/plain'.", instance));
                break;
            case 422:
                yield return new("idempotency_key_reused", "The key was used with another body",
                    Build(ProblemCatalog.IdempotencyKeyReused,
                        "This Idempotency-Key was already used with a different request body; use a new key for a new request.", instance));
                break;
            case 429:
                yield return new("rate_limited", "Over the request rate",
                    Build(ProblemCatalog.RateLimited,
                        RateLimitProblems.RequestDetail(RateLimitScope.Key, new RateLimitOptions().KeyRequestsPerMinute, 12), instance));
                break;
            case >= 500:
                yield return new("internal", "An unexpected failure",
                    Build(ProblemCatalog.Internal, "The gateway failed to handle the request; the trace id identifies it in the logs.", instance, status));
                break;
            default:
                yield return new("problem", "A problem", Build(ProblemCatalog.BadRequest, "The request failed.", instance, status));
                break;
        }
    }

    private static IEnumerable<Example> Validation(string? operationId, string instance)
    {
        switch (operationId)
        {
            case "CreateSession":
                yield return Invalid("input_and_messages", "Both `input` and `messages` given", instance, "input", "Give either 'input' or 'messages', not both.");
                yield return Invalid("unknown_model", "A model that GET /v1/models does not list", instance, "model",
                    "Unknown model 'gpt-9'; GET /v1/models lists the models: soma-simulated-1.");
                yield return Invalid("bad_idempotency_key", "An Idempotency-Key that is not 1 to 255 visible ASCII characters", instance, OpenApiNames.IdempotencyKeyHeader,
                    $"The Idempotency-Key header must be 1 to {SessionsApi.MaxIdempotencyKeyLength} visible ASCII characters.");
                yield return MalformedJson(instance);
                break;
            case "PostMessage":
                yield return Invalid("last_message_not_user", "The last message is not from the user", instance, "messages",
                    "The last message must be from the user: it is what the model answers.");
                yield return MalformedId(instance);
                yield return MalformedJson(instance);
                break;
            case "ListSessions":
                yield return Invalid("limit_out_of_range", "`limit` outside 1 to 100", instance, "limit", $"limit must be between 1 and {SessionsApi.MaxPageSize}, got 500.");
                yield return Invalid("foreign_cursor", "A cursor this API did not issue", instance, "cursor",
                    "cursor is not one this API issued; pass the next_cursor of the previous page unchanged.");
                break;
            case "StreamSessionEvents":
                yield return MalformedId(instance);
                yield return Invalid("bad_last_event_id", "A Last-Event-ID that is not a sequence", instance, OpenApiNames.LastEventIdHeader,
                    "Last-Event-ID must be an event sequence (a whole number of 0 or more), got 'abc'.");
                break;
            default:
                yield return MalformedId(instance);
                break;
        }
    }

    private static Example MalformedId(string instance)
    {
        var badInstance = instance.Replace(OpenApiExamples.SessionId.ToString(), "42", StringComparison.Ordinal);
        return Invalid("malformed_id", "A session id that is not a UUID", badInstance, "id",
            "'42' is not a session id; session ids are UUIDs such as 0193a8a0-7c1e-7d3b-9f00-123456789abc.");
    }

    private static Example MalformedJson(string instance) =>
        new("malformed_json", "A body that is not valid JSON",
            Build(ProblemCatalog.MalformedJson,
                "The request body is not valid JSON for this route: '}' is an invalid start of a value (at $.input, line 1, position 10).", instance));

    private static Example Invalid(string name, string summary, string instance, string field, string message)
    {
        var problem = Build(ProblemCatalog.Validation, message, instance);
        problem["errors"] = new JsonObject { [field] = new JsonArray(message) };
        return new(name, summary, problem);
    }

    /// <summary>The problem a response of <paramref name="kind"/> carries (<paramref name="status"/> where the kind's varies).</summary>
    private static JsonObject Build(ProblemKind kind, string detail, string instance, int? status = null) => new()
    {
        ["type"] = kind.Type,
        ["title"] = kind.Title,
        ["status"] = status ?? kind.Status,
        ["detail"] = detail,
        ["instance"] = instance,
        ["trace_id"] = TraceId,
    };
}
