using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace SomaAgent.Runtime.Security;

/// <summary>The problem types of authentication and authorization, shared by every service that checks credentials.</summary>
public static class SecurityProblems
{
    public const string Unauthorized = "urn:somaagent:problem:unauthorized";
    public const string Forbidden = "urn:somaagent:problem:forbidden";
    public const string RateLimited = "urn:somaagent:problem:rate-limited";
    public const string PolicyUnavailable = "urn:somaagent:problem:policy-unavailable";

    /// <summary>Writes a problem+json response through the host's problem-details service, so it gets the trace id like every other problem.</summary>
    public static async Task WriteAsync(HttpContext http, int status, string type, string title, string detail)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.StatusCode = status;
        var problem = new ProblemDetails { Status = status, Type = type, Title = title, Detail = detail };
        if (http.RequestServices.GetService<IProblemDetailsService>() is { } problems
            && await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem }))
        {
            return;
        }
        await http.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", http.RequestAborted);
    }
}
