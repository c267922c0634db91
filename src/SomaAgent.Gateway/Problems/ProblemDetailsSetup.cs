using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace SomaAgent.Gateway.Problems;

/// <summary>
/// Makes every error the framework itself produces (no route, wrong method, body it cannot read) a problem
/// with a stable type and a useful detail, and stamps every problem with the trace id.
/// </summary>
internal static class ProblemDetailsSetup
{
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var http = context.HttpContext;
        problem.Extensions["trace_id"] = Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
        problem.Instance ??= http.Request.Path;

        if (problem.Type is not null && problem.Type.StartsWith("urn:somaagent:", StringComparison.Ordinal))
        {
            return;
        }

        // Framework-generated problems: give them our type and say what went wrong.
        var request = http.Request;
        switch (problem.Status)
        {
            case StatusCodes.Status404NotFound when http.GetEndpoint() is null:
                var version = UnsupportedVersion(request.Path);
                problem.Type = version is null ? ProblemTypes.RouteNotFound : ProblemTypes.UnsupportedApiVersion;
                problem.Title = version is null ? "No such route" : "Unsupported API version";
                problem.Detail = version is null
                    ? $"No endpoint serves {request.Method} {request.Path}. See /openapi.json for the routes."
                    : $"API version '{version}' is not served; this gateway serves /v1 (see /openapi.json).";
                break;
            case StatusCodes.Status405MethodNotAllowed:
                problem.Type = ProblemTypes.MethodNotAllowed;
                problem.Title = "Method not allowed";
                var allow = http.Response.Headers.Allow.ToString();
                problem.Detail = $"{request.Method} is not allowed on {request.Path}" + (allow.Length > 0 ? $"; allowed: {allow}." : ".");
                break;
            case StatusCodes.Status415UnsupportedMediaType:
                problem.Type = ProblemTypes.UnsupportedMediaType;
                problem.Detail ??= $"Send the body as application/json, not '{request.ContentType ?? "nothing"}'.";
                break;
            case StatusCodes.Status413PayloadTooLarge:
                problem.Type = ProblemTypes.PayloadTooLarge;
                break;
            case StatusCodes.Status400BadRequest:
                problem.Type ??= ProblemTypes.BadRequest;
                break;
            case >= 500:
                problem.Type = ProblemTypes.Internal;
                problem.Detail = "The gateway failed to handle the request; the trace id identifies it in the logs.";
                break;
        }
    }

    /// <summary>The version segment of a path like <c>/v2/sessions</c>, when it is not v1.</summary>
    private static string? UnsupportedVersion(PathString path)
    {
        var value = path.Value ?? "";
        var segment = value.TrimStart('/').Split('/', 2)[0];
        return segment.Length >= 2 && segment[0] == 'v' && segment[1..].All(char.IsDigit) && segment != "v1" ? segment : null;
    }
}

/// <summary>
/// Turns a request the framework could not bind (malformed JSON, wrong content type, body too large) into a
/// 4xx problem that says why, instead of a bare status or a stack trace.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problems, Microsoft.Extensions.Options.IOptions<Configuration.GatewayOptions> options) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }
        var (status, type, title, detail) = Describe(bad, httpContext, options.Value.MaxRequestBodyBytes);
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Type = type, Title = title, Detail = detail },
        });
    }

    private static (int, string, string, string) Describe(BadHttpRequestException bad, HttpContext context, long limit)
    {
        var json = FindJsonError(bad);
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (413, ProblemTypes.PayloadTooLarge, "Request body too large",
                $"The request body is larger than the limit of {limit} bytes (GATEWAY_MAX_BODY_BYTES).");
        }
        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return (415, ProblemTypes.UnsupportedMediaType, "Unsupported media type",
                $"Send the body as application/json, not '{context.Request.ContentType ?? "nothing"}'.");
        }
        if (json is not null)
        {
            return (400, ProblemTypes.MalformedJson, "Malformed JSON",
                $"The request body is not valid JSON for this route: {json.Message.Split(" Path:", 2)[0].Split(". ", 2)[0]}{LocationOf(json)}.");
        }
        if (bad.Message.Contains("body was empty", StringComparison.OrdinalIgnoreCase)
            || bad.Message.Contains("Implicit body inferred", StringComparison.OrdinalIgnoreCase))
        {
            return (400, ProblemTypes.MalformedJson, "Missing body", "This route needs a JSON body.");
        }
        return (bad.StatusCode, ProblemTypes.BadRequest, "Bad request", bad.Message);
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
