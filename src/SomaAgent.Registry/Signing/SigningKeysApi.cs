using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using SomaAgent.Registry.Storage;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Registry.Signing;

/// <summary>A tenant registers the public keys its capsules are signed with.</summary>
public sealed record RegisterSigningKeyRequest(
    [property: Description("A name to tell keys apart, 1 to 128 characters.")] string? Name,
    [property: Description("The ECDSA P-256 public key, PEM (`-----BEGIN PUBLIC KEY-----`; `cosign.pub`, or `openssl ec -in key.pem -pubout`).")] string? PublicKey);

/// <summary>The tenant's publisher keys: register, list, read, revoke.</summary>
public static class SigningKeysApi
{
    public const int MaxNameLength = 128;
    private const int MaxPemLength = 1024;

    public static IEndpointRouteBuilder MapSigningKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/signing-keys").WithTags("Signing keys").RequireAuthorization(ApiKeyScopes.CapsulesPublish);

        api.MapPost("", RegisterKey)
            .WithName("RegisterSigningKey")
            .WithSummary("Register a publisher's public key")
            .WithDescription("Publishing a capsule names one of these keys; its signature must verify with it. Only ECDSA P-256 keys are taken.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("", ListKeys)
            .WithName("ListSigningKeys")
            .WithSummary("List the tenant's signing keys, revoked ones marked")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/{keyId}", GetKey)
            .WithName("GetSigningKey")
            .WithSummary("Read one of the tenant's signing keys")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapDelete("/{keyId}", RevokeKey)
            .WithName("RevokeSigningKey")
            .WithSummary("Revoke a signing key")
            .WithDescription("Versions it signed then show `signature_status: key_revoked` and can no longer be installed; existing installations keep working, flagged. A revoked key cannot be registered again.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Created<SigningKeyInfo>, ProblemHttpResult>> RegisterKey(
        RegisterSigningKeyRequest request, SigningKeyStore keys, CallerAccessor callers, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            errors["name"] = [$"name is required: 1 to {MaxNameLength} characters."];
        }
        string? keyId = null;
        if (string.IsNullOrWhiteSpace(request.PublicKey) || request.PublicKey.Length > MaxPemLength)
        {
            errors["public_key"] = [$"public_key is required: an ECDSA P-256 public key in PEM, at most {MaxPemLength} characters."];
        }
        else
        {
            try
            {
                using var key = CapsuleSignatures.ReadPublicKey(request.PublicKey);
                keyId = CapsuleSignatures.KeyIdOf(key);
            }
            catch (SigningKeyException ex)
            {
                errors["public_key"] = [ex.Message];
            }
        }
        if (errors.Count > 0)
        {
            return ProblemWriter.Validation(errors);
        }
        var caller = callers.Current;
        var (outcome, record) = await keys.RegisterAsync(caller.TenantId, name!, request.PublicKey!.Trim() + "\n", keyId!, caller.Subject, cancellationToken);
        switch (outcome)
        {
            case KeyRegistration.Registered:
                await audit.RecordAsync(http, AuditEvents.SigningKeyAdded, AuditDecisions.Allow, $"signing key {keyId} '{name}' registered", caller.TenantId);
                return TypedResults.Created($"/v1/signing-keys/{keyId}", SigningKeyInfo.From(record));
            case KeyRegistration.Revoked:
                return ProblemWriter.Result(ProblemCatalog.SigningKeyExists,
                    $"The key {keyId} was revoked on {record.RevokedAt:u}; a revoked key stays revoked. Generate a new key pair and register its public key.");
            default:
                return ProblemWriter.Result(ProblemCatalog.SigningKeyExists, $"The key {keyId} is registered already (as '{record.Name}').");
        }
    }

    public static async Task<Results<Ok<Page<SigningKeyInfo>>, ProblemHttpResult>> ListKeys(
        [Description("Page size, 1 to 100. Default 20.")] int? limit,
        [Description("The `next_cursor` of the previous page.")] string? cursor,
        SigningKeyStore keys, CallerAccessor callers, CancellationToken cancellationToken)
    {
        if (!PageCursor.TryRead(limit, cursor, 2, out var size, out var after, out var error))
        {
            return ProblemWriter.Validation(error.Field, error.Message);
        }
        return TypedResults.Ok(await keys.ListAsync(callers.Current.TenantId, size, after, cancellationToken));
    }

    public static async Task<Results<Ok<SigningKeyInfo>, ProblemHttpResult>> GetKey(
        [Description("The key id, `sha256:…`.")] string keyId, SigningKeyStore keys, CallerAccessor callers, CancellationToken cancellationToken) =>
        await keys.FindAsync(callers.Current.TenantId, keyId, cancellationToken) is { } key
            ? TypedResults.Ok(SigningKeyInfo.From(key))
            : NotFound($"This tenant has no signing key '{ProblemWriter.Truncate(keyId, 80)}'.");

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(
        [Description("The key id, `sha256:…`.")] string keyId, SigningKeyStore keys, CallerAccessor callers, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        var tenant = callers.Current.TenantId;
        if (!await keys.RevokeAsync(tenant, keyId, cancellationToken))
        {
            return NotFound($"This tenant has no active signing key '{ProblemWriter.Truncate(keyId, 80)}'.");
        }
        await audit.RecordAsync(http, AuditEvents.SigningKeyRevoked, AuditDecisions.Allow, $"signing key {keyId} revoked", tenant);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound(string detail) => ProblemWriter.Result(ProblemCatalog.SigningKeyNotFound, detail);
}
