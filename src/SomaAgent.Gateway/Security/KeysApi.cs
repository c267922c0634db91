using Microsoft.AspNetCore.Http.HttpResults;
using SomaAgent.Gateway.Problems;
using SomaAgent.Security;
using SomaAgent.Security.Access;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Keys;

namespace SomaAgent.Gateway.Security;

/// <summary>A tenant's API keys: create (the secret is shown once), list, read one, revoke.</summary>
public static class KeysApi
{
    public const int MaxNameLength = 128;

    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").WithTags("Keys");

        api.MapPost("/keys", CreateKey)
            .WithName("CreateKey")
            .WithSummary("Create an API key for the caller's tenant")
            .WithDescription("Answers the secret once; only its SHA-256 is stored. Needs `tenant:admin`.")
            .RequireAuthorization(ApiKeyScopes.TenantAdmin)
            .Accepts<CreateKeyRequest>("application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/keys", ListKeys)
            .WithName("ListKeys")
            .WithSummary("List the caller's tenant's API keys (never their secrets)")
            .RequireAuthorization(ApiKeyScopes.TenantAdmin);

        api.MapGet("/keys/{id}", GetKey)
            .WithName("GetKey")
            .RequiresAccess(ResourceTypes.ApiKey, Problem.KeyNotFound)
            .WithSummary("Read one of the caller's tenant's API keys (never its secret)")
            .RequireAuthorization(ApiKeyScopes.TenantAdmin)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapDelete("/keys/{id}", RevokeKey)
            .WithName("RevokeKey")
            .RequiresAccess(ResourceTypes.ApiKey, Problem.KeyNotFound)
            .WithSummary("Revoke an API key, with immediate effect on every gateway")
            .RequireAuthorization(ApiKeyScopes.TenantAdmin)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Created<KeyCreated>, ProblemHttpResult>> CreateKey(
        CreateKeyRequest request, ApiKeyStore store, CallerAccessor callers, TimeProvider time, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = Validate(request, callers, time);
        if (errors.Count > 0)
        {
            return Problem.Validation(errors);
        }
        var caller = callers.Current;
        if (!await store.TenantExistsAsync(caller.TenantId, cancellationToken))
        {
            return Problem.TenantNotFound(caller.TenantId);
        }
        var created = await store.CreateAsync(caller.TenantId, request.Name!.Trim(), request.Scopes!, request.ExpiresAt?.UtcDateTime, caller.Subject, cancellationToken);
        await audit.RecordAsync(http, AuditEvents.KeyCreated, AuditDecisions.Allow,
            $"key {created.Record.Id} '{created.Record.Name}' created with scopes {created.Record.Scopes}", caller.TenantId);
        return TypedResults.Created($"/v1/keys/{created.Record.Id}", new KeyCreated(KeyInfo.From(created.Record), created.Secret));
    }

    public static async Task<Ok<KeyList>> ListKeys(ApiKeyStore store, CallerAccessor callers, CancellationToken cancellationToken) =>
        TypedResults.Ok(new KeyList([.. (await store.ListAsync(callers.Current.TenantId, cancellationToken)).Select(KeyInfo.From)]));

    public static async Task<Results<Ok<KeyInfo>, ProblemHttpResult>> GetKey(
        string id, ApiKeyStore store, CallerAccessor callers, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var keyId))
        {
            return MalformedKeyId(id);
        }
        // Another tenant's key answers exactly like a missing one: no existence leak.
        return await store.FindAsync(callers.Current.TenantId, keyId, cancellationToken) is { } key
            ? TypedResults.Ok(KeyInfo.From(key))
            : Problem.KeyNotFound(keyId);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey(
        string id, ApiKeyStore store, CallerAccessor callers, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var keyId))
        {
            return MalformedKeyId(id);
        }
        // Another tenant's key answers exactly like a missing one: no existence leak.
        var tenant = callers.Current.TenantId;
        if (await store.RevokeAsync(tenant, keyId, cancellationToken))
        {
            await audit.RecordAsync(http, AuditEvents.KeyRevoked, AuditDecisions.Allow, $"key {keyId} revoked", tenant);
            return TypedResults.NoContent();
        }
        return Problem.KeyNotFound(keyId);
    }

    private static ProblemHttpResult MalformedKeyId(string id) =>
        Problem.Validation("id", $"'{Problem.Truncate(id)}' is not a key id; key ids are UUIDs.");

    private static Dictionary<string, string[]> Validate(CreateKeyRequest request, CallerAccessor callers, TimeProvider time)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Trim().Length > MaxNameLength)
        {
            errors["name"] = [$"name is required: 1 to {MaxNameLength} characters."];
        }
        if (request.Scopes is not { Count: > 0 } scopes)
        {
            errors["scopes"] = [$"scopes is required: one or more of {string.Join(", ", ApiKeyScopes.TenantGrantable)}."];
        }
        else if (scopes.FirstOrDefault(s => !ApiKeyScopes.IsKnown(s)) is { } unknown)
        {
            errors["scopes"] = [$"'{Problem.Truncate(unknown)}' is not a scope; use {string.Join(", ", ApiKeyScopes.TenantGrantable)}."];
        }
        else if (scopes.FirstOrDefault(s => !callers.Holds(s)) is { } beyond)
        {
            errors["scopes"] = [$"A key cannot get the scope '{beyond}', which the calling credential does not hold."];
        }
        if (request.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            errors["expires_at"] = ["expires_at must be in the future."];
        }
        return errors;
    }
}
