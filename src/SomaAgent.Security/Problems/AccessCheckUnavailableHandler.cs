using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SomaAgent.Security.Access;

namespace SomaAgent.Security.Problems;

/// <summary>
/// The access checker could not answer, on a check or while recording a new resource's owner: 503 with
/// <c>Retry-After</c>, and nothing was stored. The checker's own words go to the log, not to the caller.
/// </summary>
internal sealed partial class AccessCheckUnavailableHandler(ILogger<AccessCheckUnavailableHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not AccessCheckUnavailableException unavailable)
        {
            return false;
        }
        LogUnavailable(logger, unavailable.Message);
        httpContext.Response.Headers.RetryAfter = "1";
        await ProblemWriter.WriteAsync(httpContext, ProblemCatalog.AccessCheckUnavailable,
            "The access-control service did not answer, so the request was refused and nothing was stored. Retry shortly.", exception);
        return true;
    }

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "Access check unavailable, request refused with 503: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
