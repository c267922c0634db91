using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace SomaAgent.Security.Problems;

/// <summary>
/// The one way a SomaAgent service writes problem+json: from a <see cref="ProblemKind"/> and a detail, through
/// the host's problem-details service, so every problem gets the trace id and instance the same way.
/// </summary>
public static class ProblemWriter
{
    /// <summary>The problem as an endpoint's result.</summary>
    public static ProblemHttpResult Result(ProblemKind kind, string detail, IDictionary<string, object?>? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return TypedResults.Problem(detail: detail, statusCode: kind.Status, title: kind.Title, type: kind.Type, extensions: extensions);
    }

    /// <summary>A 400 naming each bad field: the detail joins the messages, <c>errors</c> maps each field to its own.</summary>
    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return Result(ProblemCatalog.Validation, string.Join(" ", errors.SelectMany(e => e.Value)), new Dictionary<string, object?> { ["errors"] = errors });
    }

    public static ProblemHttpResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>A caller's value quoted in a detail, cut short so a problem never echoes a whole payload.</summary>
    public static string Truncate(string value, int max = 64)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Length <= max ? value : string.Concat(value.AsSpan(0, max), "…");
    }

    /// <summary>Writes the problem from middleware, a handler or an exception handler (<paramref name="status"/> overrides the kind's).</summary>
    public static async Task WriteAsync(HttpContext http, ProblemKind kind, string detail, Exception? exception = null, int? status = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(kind);
        var code = status ?? kind.Status;
        http.Response.StatusCode = code;
        var problem = new ProblemDetails { Status = code, Type = kind.Type, Title = kind.Title, Detail = detail };
        if (http.RequestServices.GetService<IProblemDetailsService>() is { } problems
            && await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception }))
        {
            return;
        }
        await http.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", http.RequestAborted);
    }
}
