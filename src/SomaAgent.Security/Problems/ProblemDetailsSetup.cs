using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using SomaAgent.Security.Problems;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// problem+json the same way in every SomaAgent service: every error the framework itself produces (no route,
/// wrong method, body it cannot read, a crash) becomes a <see cref="ProblemCatalog"/> problem with a useful
/// detail, and every problem gets the trace id and the request path as its instance.
/// </summary>
public static class ProblemDetailsSetup
{
    /// <param name="serviceName">How details name the service ("gateway", "registry").</param>
    public static IServiceCollection AddSomaAgentProblemDetails(this IServiceCollection services, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddExceptionHandler<AccessCheckUnavailableHandler>();
        return services.AddProblemDetails(options => options.CustomizeProblemDetails = context => Customize(context, serviceName));
    }

    private static void Customize(ProblemDetailsContext context, string serviceName)
    {
        var problem = context.ProblemDetails;
        var http = context.HttpContext;
        problem.Extensions["trace_id"] = Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
        problem.Instance ??= http.Request.Path;

        if (problem.Type is not null && problem.Type.StartsWith(ProblemCatalog.TypePrefix, StringComparison.Ordinal))
        {
            return;
        }

        // Framework-generated problems: give them our type and say what went wrong.
        var request = http.Request;
        switch (problem.Status)
        {
            case StatusCodes.Status404NotFound when http.GetEndpoint() is null:
                var version = UnsupportedVersion(request.Path);
                var kind = version is null ? ProblemCatalog.RouteNotFound : ProblemCatalog.UnsupportedApiVersion;
                problem.Type = kind.Type;
                problem.Title = kind.Title;
                problem.Detail = version is null
                    ? $"No endpoint serves {request.Method} {request.Path}. See /openapi.json for the routes."
                    : $"API version '{version}' is not served; this {serviceName} serves /v1 (see /openapi.json).";
                break;
            case StatusCodes.Status405MethodNotAllowed:
                problem.Type = ProblemCatalog.MethodNotAllowed.Type;
                problem.Title = ProblemCatalog.MethodNotAllowed.Title;
                var allow = http.Response.Headers.Allow.ToString();
                problem.Detail = $"{request.Method} is not allowed on {request.Path}" + (allow.Length > 0 ? $"; allowed: {allow}." : ".");
                break;
            case StatusCodes.Status415UnsupportedMediaType:
                problem.Type = ProblemCatalog.UnsupportedMediaType.Type;
                problem.Detail ??= $"Send the body as application/json, not '{request.ContentType ?? "nothing"}'.";
                break;
            case StatusCodes.Status413PayloadTooLarge:
                problem.Type = ProblemCatalog.PayloadTooLarge.Type;
                break;
            case StatusCodes.Status400BadRequest:
                problem.Type ??= ProblemCatalog.BadRequest.Type;
                break;
            case >= 500:
                problem.Type = ProblemCatalog.Internal.Type;
                problem.Detail = $"The {serviceName} failed to handle the request; the trace id identifies it in the logs.";
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

