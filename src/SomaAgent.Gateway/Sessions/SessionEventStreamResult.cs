using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
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
    public const string MediaType = ServerSentEvents.MediaType;

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => MediaType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        try
        {
            await ServerSentEvents.StartAsync(httpContext, cancellationToken);
            var frame = new ArrayBufferWriter<byte>(1024);
            using var json = new Utf8JsonWriter(frame);
            await foreach (var envelope in events.WithCancellation(cancellationToken))
            {
                frame.ResetWrittenCount();
                if (envelope is null)
                {
                    frame.Write(ServerSentEvents.KeepAlive.Span);
                }
                else
                {
                    WriteFrame(frame, json, envelope);
                }
                await response.Body.WriteAsync(frame.WrittenMemory, cancellationToken);
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

    /// <summary>
    /// One SSE message in a single UTF-8 pass: <c>data</c> is the event as the REST API shows it, built around
    /// the stored data without re-parsing it.
    /// </summary>
    internal static void WriteFrame(IBufferWriter<byte> frame, Utf8JsonWriter json, SessionEventEnvelope envelope)
    {
        frame.Write("event: "u8);
        Append(frame, envelope.Type);
        frame.Write("\ndata: "u8);
        json.Reset(frame);
        json.WriteStartObject();
        json.WriteNumber("sequence", envelope.Sequence);
        json.WriteString("type", envelope.Type);
        json.WriteString("created_at", envelope.CreatedAt);
        json.WriteNumber("turn", envelope.Turn);
        json.WritePropertyName("data");
        json.WriteRawValue(envelope.DataJson, skipInputValidation: true);
        json.WriteEndObject();
        json.Flush();
        frame.Write("\nid: "u8);
        envelope.Sequence.TryFormat(frame.GetSpan(20), out var digits, default, CultureInfo.InvariantCulture);
        frame.Advance(digits);
        frame.Write("\n\n"u8);
    }

    private static void Append(IBufferWriter<byte> frame, string text)
    {
        var written = Encoding.UTF8.GetBytes(text, frame.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length)));
        frame.Advance(written);
    }
}
