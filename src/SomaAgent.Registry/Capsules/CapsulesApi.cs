using System.ComponentModel;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SomaAgent.Registry.Artifacts;
using SomaAgent.Registry.Configuration;
using SomaAgent.Registry.Storage;
using SomaAgent.Security.Audit;
using SomaAgent.Security.Identity;
using SomaAgent.Security.Problems;

namespace SomaAgent.Registry.Capsules;

/// <summary>The marketplace: publish, search, read, download, yank and unyank capsule versions.</summary>
public static class CapsulesApi
{
    private const int MaxQueryLength = 128;
    private const int MaxReasonLength = 512;

    public static IEndpointRouteBuilder MapCapsulesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/capsules").WithTags("Capsules");

        api.MapPost("", Publish)
            .WithName("PublishCapsule")
            .WithSummary("Publish a signed capsule version")
            .WithDescription("multipart/form-data: `package` (.tar.gz), `signature` (base64 DER), `key_id`, `visibility`. The first publish of a name makes the tenant its owner.")
            .RequireAuthorization(ApiKeyScopes.CapsulesPublish)
            .DocumentPublishForm()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("", Search)
            .WithName("SearchCapsules")
            .WithSummary("Search the marketplace: public capsules and the tenant's own")
            .RequireAuthorization(ApiKeyScopes.CapsulesRead)
            .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapGet("/{name}", GetCapsule)
            .WithName("GetCapsule")
            .WithSummary("A capsule and its versions, with the latest and the yanked ones")
            .RequireAuthorization(ApiKeyScopes.CapsulesRead)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{name}/{version}", GetVersion)
            .WithName("GetCapsuleVersion")
            .WithSummary("A capsule version: manifest, readme, digest, signature and its status as the registry verifies it now")
            .RequireAuthorization(ApiKeyScopes.CapsulesRead)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{name}/{version}/package", DownloadPackage)
            .WithName("DownloadCapsulePackage")
            .WithSummary("Download the package (.tar.gz); counts a download")
            .RequireAuthorization(ApiKeyScopes.CapsulesRead)
            .Produces(StatusCodes.Status200OK, contentType: "application/gzip")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/{name}/{version}/signature", DownloadSignature)
            .WithName("DownloadCapsuleSignature")
            .WithSummary("The package's signature, base64 DER (cosign's .sig; `base64 -d` gives what openssl verifies)")
            .RequireAuthorization(ApiKeyScopes.CapsulesRead)
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/{name}/{version}/bundle", DownloadBundle)
            .WithName("DownloadCapsuleBundle")
            .WithSummary("The package's Sigstore bundle (v0.3, key-based), for `cosign verify-blob --bundle` and Sigstore's verifiers")
            .RequireAuthorization(ApiKeyScopes.CapsulesRead)
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/{name}/{version}/yank", Yank)
            .WithName("YankCapsuleVersion")
            .WithSummary("Yank a version: no new installs; existing installations keep working, flagged")
            .RequireAuthorization(ApiKeyScopes.CapsulesPublish)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/{name}/{version}/unyank", Unyank)
            .WithName("UnyankCapsuleVersion")
            .WithSummary("Undo a yank")
            .RequireAuthorization(ApiKeyScopes.CapsulesPublish)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        return app;
    }

    public static async Task<Results<Created<CapsuleVersionDetail>, ProblemHttpResult>> Publish(
        HttpContext http, CapsulePublisher publisher, CapsuleCatalog catalog, CallerAccessor callers, AuditRecorder audit,
        IOptions<RegistryOptions> options, CancellationToken cancellationToken)
    {
        var limit = options.Value.MaxCapsuleBytes;
        var request = http.Request;
        if (!(request.ContentType ?? "").StartsWith(PublishForm.ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return ProblemWriter.Result(ProblemCatalog.UnsupportedMediaType,
                $"Send the capsule as {PublishForm.ContentType} (fields package, signature, key_id, visibility), not '{request.ContentType ?? "nothing"}'.");
        }
        // The form around the package: field names, boundaries, a signature and a key id.
        var bodyLimit = limit + (64 * 1024);
        if (request.ContentLength > bodyLimit)
        {
            return TooLarge(limit);
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = bodyLimit;
        }
        IFormCollection form;
        try
        {
            form = await new FormFeature(request, new FormOptions { MultipartBodyLengthLimit = bodyLimit, ValueCountLimit = 16, ValueLengthLimit = 16 * 1024 })
                .ReadFormAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException || (ex is BadHttpRequestException bad && bad.StatusCode == StatusCodes.Status413PayloadTooLarge))
        {
            return ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) || ex is BadHttpRequestException
                ? TooLarge(limit)
                : ProblemWriter.Result(ProblemCatalog.BadRequest, $"The multipart body could not be read: {ex.Message}");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var package = form.Files.GetFile(PublishForm.Package);
        if (package is null || package.Length == 0)
        {
            errors["package"] = ["package is required: the capsule's .tar.gz as a file field."];
        }
        else if (package.Length > limit)
        {
            return TooLarge(limit);
        }
        var signature = form[PublishForm.Signature].ToString().Trim();
        if (signature.Length is 0 or > 128)
        {
            errors["signature"] = ["signature is required: the base64 DER ECDSA signature over the package (at most 128 characters)."];
        }
        var keyId = form[PublishForm.KeyId].ToString().Trim();
        if (keyId.Length is 0 or > 80)
        {
            errors["key_id"] = ["key_id is required: the id of a registered signing key (sha256:…)."];
        }
        var visibility = form[PublishForm.Visibility].ToString().Trim();
        if (visibility is not (CapsuleCatalog.Public or CapsuleCatalog.Private))
        {
            errors["visibility"] = ["visibility is required: public or private."];
        }
        if (errors.Count > 0 || package is null)
        {
            return ProblemWriter.Validation(errors);
        }

        var caller = callers.Current;
        var outcome = await publisher.PublishAsync(
            new PublishRequest(package.OpenReadStream, package.Length, signature, keyId, visibility == CapsuleCatalog.Public),
            caller.TenantId, caller.Subject, cancellationToken);
        if (outcome is PublishOutcome.Refused refused)
        {
            await audit.RecordAsync(http, AuditEvents.CapsulePublished, AuditDecisions.Deny, refused.Detail, caller.TenantId);
            return refused.Problems is { } problems
                ? ProblemWriter.Result(refused.Kind, refused.Detail, new Dictionary<string, object?> { ["problems"] = problems })
                : ProblemWriter.Result(refused.Kind, refused.Detail);
        }
        var published = (PublishOutcome.Published)outcome;
        await audit.RecordAsync(http, AuditEvents.CapsulePublished, AuditDecisions.Allow,
            $"{published.Name} {published.Version} published ({visibility}), sha256 {published.Digest}, signed by {keyId}", caller.TenantId);
        var detail = await catalog.FindVersionAsync(published.Name, published.Version, cancellationToken);
        return TypedResults.Created($"/v1/capsules/{published.Name}/{Uri.EscapeDataString(published.Version)}", detail!);
    }

    public static async Task<Results<Ok<Page<CapsuleSummary>>, ProblemHttpResult>> Search(
        [Description("Words in the name or description (case-insensitive).")] string? q,
        [Description("Only capsules with this tag.")] string? tag,
        [Description("Only capsules of this publisher (the manifest's `publisher`, case-insensitive).")] string? publisher,
        [Description("Page size, 1 to 100. Default 20.")] int? limit,
        [Description("The `next_cursor` of the previous page.")] string? cursor,
        CapsuleCatalog catalog, CallerAccessor callers, CancellationToken cancellationToken)
    {
        if (new[] { ("q", q), ("tag", tag), ("publisher", publisher) }.FirstOrDefault(p => p.Item2?.Length > MaxQueryLength) is { Item1: { } field })
        {
            return ProblemWriter.Validation(field, $"{field} is at most {MaxQueryLength} characters.");
        }
        if (!PageCursor.TryRead(limit, cursor, 1, out var size, out var after, out var error))
        {
            return ProblemWriter.Validation(error.Field, error.Message);
        }
        return TypedResults.Ok(await catalog.SearchAsync(callers.Current.TenantId, q, tag, publisher, size, after?[0], cancellationToken));
    }

    public static async Task<Results<Ok<CapsuleDetail>, ProblemHttpResult>> GetCapsule(
        [Description("The capsule's name.")] string name, CapsuleAccess access, CapsuleCatalog catalog, CallerAccessor callers, HttpContext http, CancellationToken cancellationToken)
    {
        if (await access.RefuseReadAsync(http, name) is { } refused)
        {
            return refused;
        }
        return await catalog.FindAsync(callers.Current.TenantId, name, cancellationToken) is { } capsule ? TypedResults.Ok(capsule) : CapsuleAccess.NotFound(name);
    }

    public static async Task<Results<Ok<CapsuleVersionDetail>, ProblemHttpResult>> GetVersion(
        string name, [Description("A semver version.")] string version, CapsuleAccess access, CapsuleCatalog catalog, HttpContext http, CancellationToken cancellationToken)
    {
        if (await access.RefuseReadAsync(http, name) is { } refused)
        {
            return refused;
        }
        return await catalog.FindVersionAsync(name, version, cancellationToken) is { } found ? TypedResults.Ok(found) : CapsuleAccess.NotFound(name, version);
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> DownloadPackage(
        string name, string version, CapsuleAccess access, CapsuleCatalog catalog, IArtifactStore store, HttpContext http, CancellationToken cancellationToken)
    {
        if (await access.RefuseReadAsync(http, name) is { } refused)
        {
            return refused;
        }
        if (await catalog.FindVersionRecordAsync(name, version, cancellationToken) is not { } found)
        {
            return CapsuleAccess.NotFound(name, version);
        }
        var content = await store.OpenAsync(found.PackageDigest, cancellationToken);
        if (content is null)
        {
            return ProblemWriter.Result(ProblemCatalog.ArtifactStoreUnavailable, $"The artifact store did not give the package sha256 {found.PackageDigest}; retry shortly.");
        }
        await catalog.CountDownloadAsync(name, version, cancellationToken);
        // RFC 9530: the client checks the bytes it got without another request.
        http.Response.Headers["Repr-Digest"] = $"sha-256=:{Convert.ToBase64String(Convert.FromHexString(found.PackageDigest))}:";
        return TypedResults.Stream(content, "application/gzip", $"{name}-{version}.tar.gz",
            entityTag: new EntityTagHeaderValue($"\"sha256:{found.PackageDigest}\""));
    }

    public static Task<Results<ContentHttpResult, ProblemHttpResult>> DownloadSignature(
        string name, string version, CapsuleAccess access, CapsuleCatalog catalog, HttpContext http, CancellationToken cancellationToken) =>
        ServeAsync(name, version, access, catalog, http, found => TypedResults.Text(found.Signature + "\n", "text/plain", Encoding.ASCII), cancellationToken);

    public static Task<Results<ContentHttpResult, ProblemHttpResult>> DownloadBundle(
        string name, string version, CapsuleAccess access, CapsuleCatalog catalog, HttpContext http, CancellationToken cancellationToken) =>
        ServeAsync(name, version, access, catalog, http, found => TypedResults.Text(found.BundleJson, "application/json", Encoding.UTF8), cancellationToken);

    public static Task<Results<Ok<CapsuleVersionDetail>, ProblemHttpResult>> Yank(
        string name, string version, YankRequest request, CapsuleAccess access, CapsuleCatalog catalog, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Trim().Length > MaxReasonLength)
        {
            return Task.FromResult<Results<Ok<CapsuleVersionDetail>, ProblemHttpResult>>(
                ProblemWriter.Validation("reason", $"reason is required: why the version is yanked, 1 to {MaxReasonLength} characters."));
        }
        return SetYankedAsync(name, version, yanked: true, request.Reason.Trim(), access, catalog, audit, http, cancellationToken);
    }

    public static Task<Results<Ok<CapsuleVersionDetail>, ProblemHttpResult>> Unyank(
        string name, string version, YankRequest? request, CapsuleAccess access, CapsuleCatalog catalog, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        var reason = request?.Reason?.Trim();
        if (reason?.Length > MaxReasonLength)
        {
            return Task.FromResult<Results<Ok<CapsuleVersionDetail>, ProblemHttpResult>>(
                ProblemWriter.Validation("reason", $"reason is at most {MaxReasonLength} characters."));
        }
        return SetYankedAsync(name, version, yanked: false, string.IsNullOrEmpty(reason) ? null : reason, access, catalog, audit, http, cancellationToken);
    }

    private static async Task<Results<Ok<CapsuleVersionDetail>, ProblemHttpResult>> SetYankedAsync(
        string name, string version, bool yanked, string? reason, CapsuleAccess access, CapsuleCatalog catalog, AuditRecorder audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (await access.RefuseChangeAsync(http, name) is { } refused)
        {
            return refused;
        }
        if (!await catalog.SetYankedAsync(name, version, yanked, yanked ? reason : null, cancellationToken))
        {
            return CapsuleAccess.NotFound(name, version);
        }
        await audit.RecordAsync(http, yanked ? AuditEvents.CapsuleYanked : AuditEvents.CapsuleUnyanked, AuditDecisions.Allow,
            $"{name} {version} {(yanked ? "yanked" : "unyanked")}{(reason is null ? "" : $": {reason}")}");
        return TypedResults.Ok((await catalog.FindVersionAsync(name, version, cancellationToken))!);
    }

    /// <summary>Something of a version's row, once the caller may read the capsule and the version exists.</summary>
    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ServeAsync(
        string name, string version, CapsuleAccess access, CapsuleCatalog catalog, HttpContext http,
        Func<CapsuleVersionRecord, ContentHttpResult> serve, CancellationToken cancellationToken)
    {
        if (await access.RefuseReadAsync(http, name) is { } refused)
        {
            return refused;
        }
        return await catalog.FindVersionRecordAsync(name, version, cancellationToken) is { } found ? serve(found) : CapsuleAccess.NotFound(name, version);
    }

    private static ProblemHttpResult TooLarge(long limit) =>
        ProblemWriter.Result(ProblemCatalog.PayloadTooLarge, $"The package is larger than the registry accepts: {limit} bytes (REGISTRY_MAX_CAPSULE_BYTES).");
}
