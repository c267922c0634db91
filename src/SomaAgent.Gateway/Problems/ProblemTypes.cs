namespace SomaAgent.Gateway.Problems;

/// <summary>
/// The stable <c>type</c> of every problem the gateway answers with. Clients branch on these, never on
/// <c>title</c> or <c>detail</c>; a value is never reused for another meaning.
/// </summary>
public static class ProblemTypes
{
    private const string Prefix = "urn:somaagent:problem:";

    public const string Validation = Prefix + "validation";
    public const string MalformedJson = Prefix + "malformed-json";
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";
    public const string PayloadTooLarge = Prefix + "payload-too-large";
    public const string NotFound = Prefix + "not-found";
    public const string RouteNotFound = Prefix + "route-not-found";
    public const string UnsupportedApiVersion = Prefix + "unsupported-api-version";
    public const string MethodNotAllowed = Prefix + "method-not-allowed";
    public const string TurnInProgress = Prefix + "turn-in-progress";
    public const string TurnNotRunning = Prefix + "turn-not-running";
    public const string IdempotencyKeyReused = Prefix + "idempotency-key-reused";
    public const string BadRequest = Prefix + "bad-request";
    public const string RateLimited = SomaAgent.Runtime.Security.SecurityProblems.RateLimited;
    public const string Internal = Prefix + "internal";
    public const string Unauthorized = SomaAgent.Runtime.Security.SecurityProblems.Unauthorized;
    public const string Forbidden = SomaAgent.Runtime.Security.SecurityProblems.Forbidden;
    public const string PolicyUnavailable = SomaAgent.Runtime.Security.SecurityProblems.PolicyUnavailable;
    public const string Conflict = Prefix + "conflict";
    public const string AccessCheckUnavailable = Prefix + "access-check-unavailable";
}
