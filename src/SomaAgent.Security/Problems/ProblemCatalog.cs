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
    public static ProblemKind CapsuleNotFound { get; } = new(SessionNotFound.Type, "Capsule not found", StatusCodes.Status404NotFound);
    public static ProblemKind SigningKeyNotFound { get; } = new(SessionNotFound.Type, "Signing key not found", StatusCodes.Status404NotFound);
    public static ProblemKind InstallationNotFound { get; } = new(SessionNotFound.Type, "Installation not found", StatusCodes.Status404NotFound);
    public static ProblemKind CapsuleVersionExists { get; } = new(TenantExists.Type, "Capsule version exists", StatusCodes.Status409Conflict);
    public static ProblemKind SigningKeyExists { get; } = new(TenantExists.Type, "Signing key exists", StatusCodes.Status409Conflict);
    public static ProblemKind InstallationExists { get; } = new(TenantExists.Type, "Capsule installed already", StatusCodes.Status409Conflict);
    public static ProblemKind TurnLimitReached { get; } = new(TypePrefix + "turn-limit", "Turn limit reached", StatusCodes.Status409Conflict);
    public static ProblemKind CapsuleYanked { get; } = new(TypePrefix + "capsule-yanked", "Capsule version yanked", StatusCodes.Status409Conflict);
    public static ProblemKind InvalidCapsule { get; } = new(TypePrefix + "invalid-capsule", "The capsule is not valid", StatusCodes.Status422UnprocessableEntity);
    public static ProblemKind SignatureRejected { get; } = new(TypePrefix + "signature-rejected", "Signature rejected", StatusCodes.Status422UnprocessableEntity);
    public static ProblemKind IdempotencyKeyReused { get; } = new(TypePrefix + "idempotency-key-reused", "Idempotency key reused", StatusCodes.Status422UnprocessableEntity);

    // Who may do what.
    public static ProblemKind Unauthorized { get; } = new(TypePrefix + "unauthorized", "Authentication required", StatusCodes.Status401Unauthorized);
    public static ProblemKind InsufficientScope { get; } = new(TypePrefix + "forbidden", "Insufficient scope", StatusCodes.Status403Forbidden);
    public static ProblemKind TenantMismatch { get; } = new(InsufficientScope.Type, "Tenant mismatch", StatusCodes.Status403Forbidden);
    public static ProblemKind DeniedByPolicy { get; } = new(InsufficientScope.Type, "Denied by policy", StatusCodes.Status403Forbidden);
    public static ProblemKind CapsuleNameTaken { get; } = new(InsufficientScope.Type, "Capsule name owned by another tenant", StatusCodes.Status403Forbidden);
    public static ProblemKind NotCapsuleOwner { get; } = new(InsufficientScope.Type, "Not the capsule's owner", StatusCodes.Status403Forbidden);
    public static ProblemKind RateLimited { get; } = new(TypePrefix + "rate-limited", "Too many requests", StatusCodes.Status429TooManyRequests);

    // The service or what it depends on.
    public static ProblemKind Internal { get; } = new(TypePrefix + "internal", "An error occurred while processing your request.", StatusCodes.Status500InternalServerError);
    public static ProblemKind PolicyUnavailable { get; } = new(TypePrefix + "policy-unavailable", "Policy engine unavailable", StatusCodes.Status503ServiceUnavailable);
    public static ProblemKind AccessCheckUnavailable { get; } = new(TypePrefix + "access-check-unavailable", "Access check unavailable", StatusCodes.Status503ServiceUnavailable);
    public static ProblemKind ArtifactStoreUnavailable { get; } = new(TypePrefix + "artifact-store-unavailable", "Artifact storage unavailable", StatusCodes.Status503ServiceUnavailable);
    public static ProblemKind RegistryUnavailable { get; } = new(TypePrefix + "registry-unavailable", "Registry unavailable", StatusCodes.Status503ServiceUnavailable);
    public static ProblemKind StoreUnavailable { get; } = new(TypePrefix + "store-unavailable", "Session store unavailable", StatusCodes.Status503ServiceUnavailable);

    /// <summary>Every kind above, for the tests that keep types stable and the docs that list them.</summary>
    public static IReadOnlyList<ProblemKind> All { get; } =
    [
        Validation, MalformedJson, MissingBody, BadRequest, UnsupportedMediaType, PayloadTooLarge, RouteNotFound, UnsupportedApiVersion,
        MethodNotAllowed, SessionNotFound, KeyNotFound, TenantNotFound, CapsuleNotFound, SigningKeyNotFound, InstallationNotFound, TenantExists,
        CapsuleVersionExists, SigningKeyExists, InstallationExists, TurnInProgress, TurnNotRunning, TurnLimitReached, CapsuleYanked, InvalidCapsule, SignatureRejected,
        IdempotencyKeyReused, Unauthorized, InsufficientScope, TenantMismatch, DeniedByPolicy, CapsuleNameTaken, NotCapsuleOwner, RateLimited,
        Internal, PolicyUnavailable, AccessCheckUnavailable, ArtifactStoreUnavailable, RegistryUnavailable, StoreUnavailable,
    ];
}
