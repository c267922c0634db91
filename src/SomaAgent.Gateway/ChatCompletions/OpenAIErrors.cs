using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SomaAgent.Gateway.Problems;

namespace SomaAgent.Gateway.ChatCompletions;

/// <summary>OpenAI's error body: <c>{"error": {"message", "type", "param", "code"}}</c>, which OpenAI SDKs read.</summary>
public sealed record OpenAIErrorResponse(OpenAIError Error);

public sealed record OpenAIError(
    [property: Description("What went wrong and how to fix it.")] string Message,
    [property: Description("`invalid_request_error`, `rate_limit_exceeded` or `server_error`.")] string Type,
    [property: Description("The request field at fault, when there is one.")] string? Param,
    [property: Description("A stable code such as `model_not_found`, `malformed_json` or `turn_failed`.")] string? Code)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [Description("W3C trace id of the request; quote it when reporting a problem.")]
    public string? TraceId { get; init; }
}

/// <summary>An OpenAI-shaped error response with its status code.</summary>
public sealed class OpenAIErrorResult(int statusCode, OpenAIError error) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => statusCode;

    public OpenAIError Error => error;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        return OpenAIErrors.WriteAsync(httpContext, statusCode, error);
    }
}

/// <summary>
/// The OpenAI error shape of the <c>/v1/chat/...</c> route family: the handlers' own errors, and every problem the
/// framework or the gateway's middleware would otherwise write there (malformed JSON, body too large, wrong media
/// type or method, rate limit, unhandled failure), translated from its problem details.
/// </summary>
public static class OpenAIErrors
{
    public const string InvalidRequest = "invalid_request_error";
    public const string RateLimitExceeded = "rate_limit_exceeded";
    public const string ServerError = "server_error";

    public static OpenAIErrorResult BadRequest(string message, string? param, string? code = null) =>
        new(StatusCodes.Status400BadRequest, new OpenAIError(message, InvalidRequest, param, code));

    public static OpenAIErrorResult ModelNotFound(string model, IEnumerable<string> available) =>
        new(StatusCodes.Status404NotFound, new OpenAIError(
            $"The model '{Problem.Truncate(model)}' does not exist. GET /v1/models lists the models: {string.Join(", ", available)}.",
            InvalidRequest, "model", "model_not_found"));

    /// <summary>The OpenAI form of a problem: the type follows the status, the code the problem type's name.</summary>
    public static OpenAIError FromProblem(ProblemDetails problem, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(context);
        var status = problem.Status ?? context.Response.StatusCode;
        var request = context.Request;
        var (code, message) = status switch
        {
            StatusCodes.Status404NotFound when problem.Detail is null => ("route_not_found", $"No endpoint serves {request.Method} {request.Path}."),
            // OpenAI's own code for a bad key, so SDKs raise their authentication error.
            StatusCodes.Status401Unauthorized => ("invalid_api_key", problem.Detail ?? "This route needs a valid API key."),
            StatusCodes.Status405MethodNotAllowed => ("method_not_allowed", $"{request.Method} is not allowed on {request.Path}; use POST."),
            StatusCodes.Status429TooManyRequests => (RateLimitExceeded, problem.Detail ?? "Too many requests; retry after the Retry-After seconds."),
            StatusCodes.Status415UnsupportedMediaType => ("unsupported_media_type", $"Send the body as application/json, not '{request.ContentType ?? "nothing"}'."),
            >= 500 => ("internal", "The gateway failed to handle the request; the trace id identifies it in the logs."),
            _ => (CodeOf(problem.Type), problem.Detail ?? problem.Title ?? "The request failed."),
        };
        var type = status switch
        {
            StatusCodes.Status429TooManyRequests => RateLimitExceeded,
            >= 500 => ServerError,
            _ => InvalidRequest,
        };
        return new OpenAIError(message, type, null, code);
    }

    public static Task WriteAsync(HttpContext context, int status, OpenAIError error)
    {
        ArgumentNullException.ThrowIfNull(context);
        var json = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        context.Response.StatusCode = status;
        var traced = error with { TraceId = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier };
        return context.Response.WriteAsJsonAsync(new OpenAIErrorResponse(traced), json, "application/json", context.RequestAborted);
    }

    /// <summary><c>urn:somaagent:problem:payload-too-large</c> becomes <c>payload_too_large</c>.</summary>
    private static string? CodeOf(string? problemType) =>
        problemType is null ? null : problemType[(problemType.LastIndexOf(':') + 1)..].Replace('-', '_');
}

/// <summary>
/// Writes problems of the OpenAI-compatible route family in OpenAI's error shape. Registered ahead of the default
/// writer, so everything that writes through <see cref="IProblemDetailsService"/> (exception handler, status code
/// pages, rate limiter) answers these routes the way OpenAI clients understand.
/// </summary>
internal sealed class OpenAIProblemDetailsWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => ChatCompletionsApi.IsOpenAIRoute(context.HttpContext.Request.Path);

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var status = context.ProblemDetails.Status ?? http.Response.StatusCode;
        return new ValueTask(OpenAIErrors.WriteAsync(http, status, OpenAIErrors.FromProblem(context.ProblemDetails, http)));
    }
}
