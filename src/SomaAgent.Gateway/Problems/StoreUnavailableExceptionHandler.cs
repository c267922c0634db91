using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using SomaAgent.Security.Problems;

namespace SomaAgent.Gateway.Problems;

/// <summary>
/// The session store could not be reached (PostgreSQL restarting or failing over, a connection cut): 503 with
/// <c>Retry-After</c> instead of a 500, so clients know to try again. The driver's own words go to the log only.
/// </summary>
internal sealed partial class StoreUnavailableExceptionHandler(ILogger<StoreUnavailableExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (FindUnreachableStore(exception) is not { } cause)
        {
            return false;
        }
        LogUnavailable(logger, cause.GetType().Name, cause.Message);
        httpContext.Response.Headers.RetryAfter = "2";
        await ProblemWriter.WriteAsync(httpContext, ProblemCatalog.StoreUnavailable,
            "The session store could not be reached (it may be restarting). Retry shortly; send an Idempotency-Key with a create, since a request cut off at its commit may have been stored.",
            exception);
        return true;
    }

    /// <summary>
    /// The database error behind <paramref name="exception"/> when it says the store is out of reach rather than that
    /// the request was wrong: a transient error, a broken connection (SQLSTATE class 08), or a server shutting down or
    /// starting (57P01..57P03).
    /// </summary>
    internal static DbException? FindUnreachableStore(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is DbException db && (db.IsTransient || db.SqlState is { } state && (state.StartsWith("08", StringComparison.Ordinal) || state is "57P01" or "57P02" or "57P03")))
            {
                return db;
            }
        }
        return null;
    }

    [LoggerMessage(EventId = 6030, Level = LogLevel.Warning, Message = "The session store could not be reached ({ErrorType}: {Error}); answered 503")]
    private static partial void LogUnavailable(ILogger logger, string errorType, string error);
}
