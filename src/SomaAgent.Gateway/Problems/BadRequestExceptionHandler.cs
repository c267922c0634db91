using Microsoft.AspNetCore.Diagnostics;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.Problems;

/// <summary>
/// Turns a request the framework could not bind (malformed JSON, wrong content type, body too large) into a
/// 4xx problem that says why, instead of a bare status or a stack trace.
/// </summary>
internal sealed class BadRequestExceptionHandler(
    Microsoft.Extensions.Options.IOptions<Configuration.GatewayOptions> options,
    Microsoft.Extensions.Options.IOptions<Registry.RegistryForwardingOptions> registry) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }
        var (kind, detail) = Describe(bad, httpContext, options.Value.MaxRequestBodyBytes, registry.Value.MaxCapsuleBytes);
        // An unexpected bad request keeps the status the server gave it.
        await ProblemWriter.WriteAsync(httpContext, kind, detail, exception, kind == ProblemCatalog.BadRequest ? bad.StatusCode : null);
        return true;
    }

    private static (ProblemKind Kind, string Detail) Describe(BadHttpRequestException bad, HttpContext context, long limit, long capsuleLimit)
    {
        var json = FindJsonError(bad);
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (ProblemCatalog.PayloadTooLarge, Registry.RegistryForwarding.IsForwarded(context.Request.Path)
                ? $"The package is larger than the registry accepts: {capsuleLimit} bytes (REGISTRY_MAX_CAPSULE_BYTES)."
                : $"The request body is larger than the limit of {limit} bytes (GATEWAY_MAX_BODY_BYTES).");
        }
        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return (ProblemCatalog.UnsupportedMediaType, $"Send the body as application/json, not '{context.Request.ContentType ?? "nothing"}'.");
        }
        if (json is not null)
        {
            return (ProblemCatalog.MalformedJson,
                $"The request body is not valid JSON for this route: {json.Message.Split(" Path:", 2)[0].Split(". ", 2)[0]}{LocationOf(json)}.");
        }
        if (bad.Message.Contains("body was empty", StringComparison.OrdinalIgnoreCase)
            || bad.Message.Contains("Implicit body inferred", StringComparison.OrdinalIgnoreCase))
        {
            return (ProblemCatalog.MissingBody, "This route needs a JSON body.");
        }
        return (ProblemCatalog.BadRequest, bad.Message);
    }

    private static System.Text.Json.JsonException? FindJsonError(Exception exception)
    {
        for (var current = exception.InnerException; current is not null; current = current.InnerException)
        {
            if (current is System.Text.Json.JsonException json)
            {
                return json;
            }
        }
        return null;
    }

    private static string LocationOf(System.Text.Json.JsonException json) =>
        json.Path is { Length: > 0 } path
            ? $" (at {path}, line {(json.LineNumber ?? 0) + 1}, position {json.BytePositionInLine ?? 0})"
            : json.LineNumber is { } line ? $" (line {line + 1}, position {json.BytePositionInLine ?? 0})" : "";
}
