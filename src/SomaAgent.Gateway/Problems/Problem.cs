using Microsoft.AspNetCore.Http.HttpResults;

namespace SomaAgent.Gateway.Problems;

/// <summary>Builds the gateway's problem responses: RFC 7807, a stable type, a detail a person can act on.</summary>
public static class Problem
{
    public static ProblemHttpResult Of(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type);

    public static ProblemHttpResult SessionNotFound(Guid id) =>
        Of(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Session not found", $"No session with id '{id}' exists for this tenant.");

    public static ProblemHttpResult KeyNotFound(Guid id) =>
        Of(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Key not found", $"No key with id '{id}' exists for this tenant.");

    public static ProblemHttpResult MalformedSessionId(string id) =>
        Validation("id", $"'{Truncate(id)}' is not a session id; session ids are UUIDs such as 0193a8a0-7c1e-7d3b-9f00-123456789abc.");

    /// <summary>A 400 naming each bad field.</summary>
    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors)
    {
        var detail = string.Join(" ", errors.SelectMany(e => e.Value));
        return TypedResults.Problem(
            detail: detail,
            statusCode: StatusCodes.Status400BadRequest,
            title: "The request is not valid",
            type: ProblemTypes.Validation,
            extensions: new Dictionary<string, object?> { ["errors"] = errors });
    }

    public static ProblemHttpResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    internal static string Truncate(string value, int max = 64) =>
        value.Length <= max ? value : string.Concat(value.AsSpan(0, max), "…");
}
