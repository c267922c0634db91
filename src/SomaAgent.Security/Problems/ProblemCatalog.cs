using Microsoft.AspNetCore.Http;

namespace SomaAgent.Security.Problems;

/// <summary>
/// Every problem the Gateway and the Registry answer with, in one place: the responses, the OpenAPI examples
/// and the docs all take their type, title and status from here.
/// </summary>
public static class ProblemCatalog
{
    public const string TypePrefix = "urn:somaagent:problem:";

    // The request itself.
    public static ProblemKind Validation { get; } = new(TypePrefix + "validation", "The request is not valid", StatusCodes.Status400BadRequest);
    public static ProblemKind MalformedJson { get; } = new(TypePrefix + "malformed-json", "Malformed JSON", StatusCodes.Status400BadRequest);
    public static ProblemKind MissingBody { get; } = new(MalformedJson.Type, "Missing body", StatusCodes.Status400BadRequest);
    public static ProblemKind BadRequest { get; } = new(TypePrefix + "bad-request", "Bad request", StatusCodes.Status400BadRequest);
    public static ProblemKind UnsupportedMediaType { get; } = new(TypePrefix + "unsupported-media-type", "Unsupported media type", StatusCodes.Status415UnsupportedMediaType);
    public static ProblemKind PayloadTooLarge { get; } = new(TypePrefix + "payload-too-large", "Request body too large", StatusCodes.Status413PayloadTooLarge);
    public static ProblemKind RouteNotFound { get; } = new(TypePrefix + "route-not-found", "No such route", StatusCodes.Status404NotFound);
    public static ProblemKind UnsupportedApiVersion { get; } = new(TypePrefix + "unsupported-api-version", "Unsupported API version", StatusCodes.Status404NotFound);
    public static ProblemKind MethodNotAllowed { get; } = new(TypePrefix + "method-not-allowed", "Method not allowed", StatusCodes.Status405MethodNotAllowed);

    // Resources.
    public static ProblemKind SessionNotFound { get; } = new(TypePrefix + "not-found", "Session not found", StatusCodes.Status404NotFound);
    public static ProblemKind KeyNotFound { get; } = new(SessionNotFound.Type, "Key not found", StatusCodes.Status404NotFound);
    public static ProblemKind TenantNotFound { get; } = new(SessionNotFound.Type, "Tenant not found", StatusCodes.Status404NotFound);
    public static ProblemKind TenantExists { get; } = new(TypePrefix + "conflict", "Tenant exists", StatusCodes.Status409Conflict);
    public static ProblemKind TurnInProgress { get; } = new(TypePrefix + "turn-in-progress", "A turn is in progress", StatusCodes.Status409Conflict);
    public static ProblemKind TurnNotRunning { get; } = new(TypePrefix + "turn-not-running", "No turn to cancel", StatusCodes.Status409Conflict);
    public static ProblemKind IdempotencyKeyReused { get; } = new(TypePrefix + "idempotency-key-reused", "Idempotency key reused", StatusCodes.Status422UnprocessableEntity);

    // Who may do what.
    public static ProblemKind Unauthorized { get; } = new(TypePrefix + "unauthorized", "Authentication required", StatusCodes.Status401Unauthorized);
    public static ProblemKind InsufficientScope { get; } = new(TypePrefix + "forbidden", "Insufficient scope", StatusCodes.Status403Forbidden);
    public static ProblemKind TenantMismatch { get; } = new(InsufficientScope.Type, "Tenant mismatch", StatusCodes.Status403Forbidden);
    public static ProblemKind DeniedByPolicy { get; } = new(InsufficientScope.Type, "Denied by policy", StatusCodes.Status403Forbidden);
    public static ProblemKind RateLimited { get; } = new(TypePrefix + "rate-limited", "Too many requests", StatusCodes.Status429TooManyRequests);

    // The service or what it depends on.
    public static ProblemKind Internal { get; } = new(TypePrefix + "internal", "An error occurred while processing your request.", StatusCodes.Status500InternalServerError);
    public static ProblemKind PolicyUnavailable { get; } = new(TypePrefix + "policy-unavailable", "Policy engine unavailable", StatusCodes.Status503ServiceUnavailable);
    public static ProblemKind AccessCheckUnavailable { get; } = new(TypePrefix + "access-check-unavailable", "Access check unavailable", StatusCodes.Status503ServiceUnavailable);

    /// <summary>Every kind above, for the tests that keep types stable and the docs that list them.</summary>
    public static IReadOnlyList<ProblemKind> All { get; } =
    [
        Validation, MalformedJson, MissingBody, BadRequest, UnsupportedMediaType, PayloadTooLarge, RouteNotFound, UnsupportedApiVersion,
        MethodNotAllowed, SessionNotFound, KeyNotFound, TenantNotFound, TenantExists, TurnInProgress, TurnNotRunning, IdempotencyKeyReused,
        Unauthorized, InsufficientScope, TenantMismatch, DeniedByPolicy, RateLimited, Internal, PolicyUnavailable, AccessCheckUnavailable,
    ];
}
