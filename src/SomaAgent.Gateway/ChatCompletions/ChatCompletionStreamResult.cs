using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using SomaAgent.Gateway.Sessions;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Gateway.ChatCompletions;

/// <summary>
/// Streams a chat completion as OpenAI does: <c>data: {chunk}</c> Server-Sent Events, the first chunk with the
/// assistant role, then content and tool call deltas as the session's events arrive, a chunk with the finish
/// reason, a usage chunk when asked for, and <c>data: [DONE]</c>. A turn that fails sends <c>data: {"error": ...}</c>
/// instead of the end.
/// </summary>
public sealed class ChatCompletionStreamResult(IAsyncEnumerable<SessionEventEnvelope?> events, ChatCompletionTurn turn, bool includeUsage)
    : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public int? StatusCode => StatusCodes.Status200OK;

    public string ContentType => ServerSentEvents.MediaType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var json = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        try
        {
            await ServerSentEvents.StartAsync(httpContext, cancellationToken);
            var frame = new ArrayBufferWriter<byte>(1024);
            await using var writer = new Utf8JsonWriter(frame, new JsonWriterOptions { Encoder = json.Encoder });
            async Task WriteAsync<T>(T value)
            {
                // One frame, one write: "data: " + the JSON + a blank line.
                frame.ResetWrittenCount();
                frame.Write("data: "u8);
                writer.Reset(frame);
                JsonSerializer.Serialize(writer, value, json);
                writer.Flush();
                frame.Write("\n\n"u8);
                await response.Body.WriteAsync(frame.WrittenMemory, cancellationToken);
            }

            await WriteAsync(turn.Chunk(new ChatCompletionDelta("assistant", "", null)));
            await foreach (var envelope in events.WithCancellation(cancellationToken))
            {
                if (envelope is null)
                {
                    await response.Body.WriteAsync(ServerSentEvents.KeepAlive, cancellationToken);
                }
                else if (turn.Apply(envelope) is { } delta)
                {
                    await WriteAsync(turn.Chunk(delta));
                }
                await response.Body.FlushAsync(cancellationToken);
            }

            if (turn.Failure() is { } failure)
            {
                await WriteAsync(new OpenAIErrorResponse(failure.Error));
                return;
            }
            await WriteAsync(turn.Chunk(new ChatCompletionDelta(null, null, null), turn.FinishReason));
            if (includeUsage)
            {
                await WriteAsync(turn.UsageChunk());
            }
            await response.Body.WriteAsync(Done, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; the session finishes the turn and keeps it.
        }
    }
}
