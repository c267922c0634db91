using System.Net;
using SomaAgent.Client;

namespace SomaAgent.Web.Platform;

/// <summary>What to tell a user when a call to the platform fails: what happened and what to do next, never a stack trace.</summary>
public static class PlatformErrors
{
    public const string Unreachable = "The platform is unreachable right now. Check that the gateway is running, then try again.";

    /// <summary>Whether <paramref name="exception"/> is a failure of the platform call (a message for the user), not a bug.</summary>
    public static bool IsPlatformFailure(Exception exception) =>
        exception is SomaAgentProblemException or HttpRequestException or TimeoutException
        || exception is TaskCanceledException { InnerException: TimeoutException };

    public static string Describe(Exception exception) => exception switch
    {
        SomaAgentProblemException { Status: HttpStatusCode.Unauthorized } =>
            "Your sign-in no longer works: the key was revoked or has expired. Sign out and sign in again.",
        SomaAgentProblemException { Status: HttpStatusCode.Forbidden } problem =>
            $"You are not allowed to do this. {problem.Detail} Ask a tenant admin for a key with the scope it needs.",
        SomaAgentProblemException { Status: HttpStatusCode.TooManyRequests } =>
            "Too many requests for now. Wait a moment and try again.",
        SomaAgentProblemException { Status: >= HttpStatusCode.InternalServerError } problem =>
            $"The platform could not do this right now ({problem.Title}). Try again shortly.{(problem.TraceId is null ? "" : $" Trace {problem.TraceId}.")}",
        SomaAgentProblemException problem => problem.Detail ?? problem.Title ?? "The platform refused the request.",
        _ => Unreachable,
    };
}
