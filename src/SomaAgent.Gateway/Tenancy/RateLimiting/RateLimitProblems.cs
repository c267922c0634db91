using System.Globalization;

namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>The words of a 429: which limit, its number and window, and when to retry.</summary>
public static class RateLimitProblems
{
    /// <summary>What a refused session start tells the client to wait: a hint, since a slot frees when some turn ends.</summary>
    public const int SessionRetryAfterSeconds = 5;

    /// <summary>Whole seconds, at least 1, as <c>Retry-After</c> wants them.</summary>
    public static int RetryAfterSeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    public static string RequestDetail(RateLimitScope scope, int limit, int retryAfterSeconds) => scope == RateLimitScope.Key
        ? $"This API key is over its limit of {limit} requests per minute; retry after {retryAfterSeconds} s."
        : $"This tenant is over its limit of {limit} requests per minute (all its keys together); retry after {retryAfterSeconds} s.";

    public static string SessionsDetail(int limit) =>
        $"This tenant is at its quota of {limit} concurrent sessions (sessions with a turn queued or running); "
        + $"retry after {SessionRetryAfterSeconds} s, or once one of its turns has ended.";

    public static void SetRetryAfter(HttpResponse response, int seconds)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
    }
}
