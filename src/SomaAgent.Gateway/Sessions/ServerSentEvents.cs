using Microsoft.AspNetCore.Http.Features;

namespace SomaAgent.Gateway.Sessions;

/// <summary>The Server-Sent Events plumbing the session event stream and the OpenAI-compatible stream share.</summary>
internal static class ServerSentEvents
{
    public const string MediaType = "text/event-stream";

    /// <summary>A comment frame: sent on a quiet spell so proxies and clients keep the connection.</summary>
    public static ReadOnlyMemory<byte> KeepAlive { get; } = ": keep-alive\n\n"u8.ToArray();

    /// <summary>Sends the headers of a stream (200, no caching, no proxy buffering) and starts the body.</summary>
    public static Task StartAsync(HttpContext httpContext, CancellationToken cancellationToken)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaType;
        response.Headers.CacheControl = "no-cache";
        // Tell nginx-style proxies not to buffer the stream.
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return response.StartAsync(cancellationToken);
    }
}
