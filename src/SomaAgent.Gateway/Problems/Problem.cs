using Microsoft.AspNetCore.Http.HttpResults;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.Problems;

/// <summary>The gateway's problem results, each a <see cref="ProblemCatalog"/> kind with a detail a person can act on.</summary>
public static class Problem
{
    public static ProblemHttpResult Of(ProblemKind kind, string detail) => ProblemWriter.Result(kind, detail);

    public static ProblemHttpResult SessionNotFound(Guid id) =>
        Of(ProblemCatalog.SessionNotFound, $"No session with id '{id}' exists for this tenant.");

    public static ProblemHttpResult KeyNotFound(Guid id) =>
        Of(ProblemCatalog.KeyNotFound, $"No key with id '{id}' exists for this tenant.");

    public static ProblemHttpResult TenantNotFound(string tenant) =>
        Of(ProblemCatalog.TenantNotFound, $"No tenant '{Truncate(tenant)}' exists.");

    public static ProblemHttpResult MalformedSessionId(string id) =>
        Validation("id", $"'{Truncate(id)}' is not a session id; session ids are UUIDs such as 0193a8a0-7c1e-7d3b-9f00-123456789abc.");

    /// <summary>A 400 naming each bad field.</summary>
    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors) => ProblemWriter.Validation(errors);

    public static ProblemHttpResult Validation(string field, string message) => ProblemWriter.Validation(field, message);

    internal static string Truncate(string value, int max = 64) => ProblemWriter.Truncate(value, max);
}
