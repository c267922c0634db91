using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Gateway.Sessions;

/// <summary>
/// Writes a session's events as Server-Sent Events: <c>id:</c> = sequence, <c>event:</c> = type, <c>data:</c> =
/// the event JSON, each flushed as it comes. Quiet spells get a <c>: keep-alive</c> comment, which clients
/// ignore and proxies take as traffic, so a long tool call does not get the connection cut.
/// </summary>
public sealed class SessionEventStreamResult(IAsyncEnumerable<SessionEventEnvelope?> events)
    : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IEndpointMetadataProvider
{
    public const string MediaType = "text/event-stream";
    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => MediaType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaType;
        response.Headers.CacheControl = "no-cache";
        // Tell nginx-style proxies not to buffer the stream.
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var cancellationToken = httpContext.RequestAborted;
        try
        {
            await response.StartAsync(cancellationToken);
            await foreach (var envelope in events.WithCancellation(cancellationToken))
            {
                await response.Body.WriteAsync(envelope is null ? KeepAlive : Frame(envelope), cancellationToken);
                await response.Body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; it resumes with Last-Event-ID.
        }
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), [MediaType]));
    }

    private static byte[] Frame(SessionEventEnvelope envelope) => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
        $"event: {envelope.Type}\ndata: {SessionEventStream.Serialize(envelope)}\nid: {envelope.Sequence}\n\n"));
}
