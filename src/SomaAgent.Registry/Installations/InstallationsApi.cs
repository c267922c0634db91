using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using SomaAgent.Registry.Capsules;
using SomaAgent.Registry.Storage;
using SomaAgent.Security.Access;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Registry.Installations;

/// <summary>What to install.</summary>
public sealed record InstallRequest(
    [property: Description("The capsule's name, or `name@version`.")] string? Capsule,
    [property: Description("The version; default the capsule's latest (not yanked).")] string? Version);

/// <summary>The tenant's installed capsule versions: install, list, read, remove.</summary>
public static class InstallationsApi
{
    public static IEndpointRouteBuilder MapInstallationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/installations").WithTags("Installations");

        api.MapPost("", Install)
            .RequireAuthorization(ApiKeyScopes.CapsulesInstall)
            .WithName("InstallCapsule")
            .WithSummary("Install a capsule version for the tenant")
            .WithDescription("Refused when the version is yanked (409 `capsule-yanked`) or its signature no longer verifies with its publisher's active key (422 `signature-rejected`).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        api.MapGet("", ListInstallations)
            .RequireAuthorization(ApiKeyScopes.CapsulesInstall)
            .WithName("ListInstallations")
            .WithSummary("List the tenant's installations, newest first, with their status")
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/resolve", Resolve)
            .RequireAuthorization(ApiKeyScopes.CapsulesRead)
            .WithName("ResolveInstallation")
            .WithSummary("The installed capsule a session would take on: version, standing and manifest")
            .WithDescription("`capsule` is a name (the highest version installed) or `name@version`. Needs `capsules:read`; the gateway calls it when a session takes on a capsule.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{id}", GetInstallation)
            .RequireAuthorization(ApiKeyScopes.CapsulesInstall)
            .WithName("GetInstallation")
            .WithSummary("Read one installation and its status")
            .RequiresAccess(ResourceTypes.CapsuleInstallation, NotFound)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapDelete("/{id}", Uninstall)
            .RequireAuthorization(ApiKeyScopes.CapsulesInstall)
            .WithName("Uninstall")
            .WithSummary("Remove an installation")
            .RequiresAccess(ResourceTypes.CapsuleInstallation, NotFound)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Created<InstallationInfo>, ProblemHttpResult>> Install(
        InstallRequest request, InstallationStore installations, CapsuleAccess access, CallerAccessor callers, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (name, version) = Split(request.Capsule?.Trim(), request.Version?.Trim());
        if (string.IsNullOrEmpty(name) || name.Length > 64)
        {
            return ProblemWriter.Validation("capsule", "capsule is required: a capsule name, or name@version.");
        }
        if (version is { Length: 0 or > 64 })
        {
            return ProblemWriter.Validation("version", "version, when given, is a semver version of at most 64 characters.");
        }
        if (await access.RefuseReadAsync(http, name) is { } refused)
        {
            return refused;
        }
        var caller = callers.Current;
        var outcome = await installations.InstallAsync(caller.TenantId, name, version, caller.Subject, cancellationToken);
        if (outcome is InstallOutcome.Refused no)
        {
            if (no.Kind != ProblemCatalog.CapsuleNotFound)
            {
                await audit.RecordAsync(http, AuditEvents.CapsuleInstalled, AuditDecisions.Deny, no.Detail, caller.TenantId);
            }
            return ProblemWriter.Result(no.Kind, no.Detail);
        }
        var installed = ((InstallOutcome.Installed)outcome).Installation;
        await audit.RecordAsync(http, AuditEvents.CapsuleInstalled, AuditDecisions.Allow,
            $"installation {installed.Id}: {installed.Capsule} {installed.Version} installed ({installed.Digest})", caller.TenantId);
        return TypedResults.Created($"/v1/installations/{installed.Id}", installed);
    }

    public static async Task<Results<Ok<ResolvedCapsule>, ProblemHttpResult>> Resolve(
        [Description("`name` or `name@version`.")] string? capsule, InstallationStore installations, CallerAccessor callers, CancellationToken cancellationToken)
    {
        var (name, version) = Split(capsule?.Trim(), null);
        if (string.IsNullOrEmpty(name) || name.Length > 64 || version is { Length: 0 or > 64 })
        {
            return ProblemWriter.Validation("capsule", "capsule is required: an installed capsule's name, or name@version.");
        }
        return await installations.ResolveAsync(callers.Current.TenantId, name, version, cancellationToken) is { } resolved
            ? TypedResults.Ok(resolved)
            : ProblemWriter.Result(ProblemCatalog.InstallationNotFound,
                $"'{ProblemWriter.Truncate(capsule!)}' is not installed for this tenant; install it first (POST /v1/installations).");
    }

    public static async Task<Results<Ok<Page<InstallationInfo>>, ProblemHttpResult>> ListInstallations(
        [Description("Page size, 1 to 100. Default 20.")] int? limit,
        [Description("The `next_cursor` of the previous page.")] string? cursor,
        InstallationStore installations, CallerAccessor callers, CancellationToken cancellationToken)
    {
        if (!PageCursor.TryRead(limit, cursor, 2, out var size, out var after, out var error))
        {
            return ProblemWriter.Validation(error.Field, error.Message);
        }
        return TypedResults.Ok(await installations.ListAsync(callers.Current.TenantId, size, after, cancellationToken));
    }

    public static async Task<Results<Ok<InstallationInfo>, ProblemHttpResult>> GetInstallation(
        [Description("The installation id (a UUID).")] string id, InstallationStore installations, CallerAccessor callers, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var installationId))
        {
            return MalformedId(id);
        }
        return await installations.FindAsync(callers.Current.TenantId, installationId, cancellationToken) is { } found
            ? TypedResults.Ok(found)
            : (ProblemHttpResult)NotFound(installationId);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Uninstall(
        [Description("The installation id (a UUID).")] string id, InstallationStore installations, CallerAccessor callers, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var installationId))
        {
            return MalformedId(id);
        }
        var tenant = callers.Current.TenantId;
        if (!await installations.DeleteAsync(tenant, installationId, cancellationToken))
        {
            return (ProblemHttpResult)NotFound(installationId);
        }
        await audit.RecordAsync(http, AuditEvents.CapsuleUninstalled, AuditDecisions.Allow, $"installation {installationId} removed", tenant);
        return TypedResults.NoContent();
    }

    private static IResult NotFound(Guid id) =>
        ProblemWriter.Result(ProblemCatalog.InstallationNotFound, $"No installation with id '{id}' exists for this tenant.");

    private static ProblemHttpResult MalformedId(string id) =>
        ProblemWriter.Validation("id", $"'{ProblemWriter.Truncate(id)}' is not an installation id; installation ids are UUIDs.");

    /// <summary><c>name@version</c> in one field, or the two fields.</summary>
    private static (string? Name, string? Version) Split(string? capsule, string? version)
    {
        if (capsule?.IndexOf('@', StringComparison.Ordinal) is int at and >= 0)
        {
            return (capsule[..at], version ?? capsule[(at + 1)..]);
        }
        return (capsule, string.IsNullOrEmpty(version) ? null : version);
    }
}
