using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using SomaAgent.Gateway.Sessions;
using SomaAgent.Runtime.Messaging;

namespace SomaAgent.Gateway.OpenApi;

/// <summary>
/// Documents a Server-Sent Events response as the wire has it: <c>text/event-stream</c> text whose messages
/// carry <c>id</c> = the event's sequence, <c>event</c> = its type and <c>data</c> = the event JSON, with an
/// example stream. The generated schema (.NET's <c>SseItem&lt;string&gt;</c>) is replaced.
/// </summary>
internal sealed class ServerSentEventsTransformer : IOpenApiOperationTransformer
{
    public const string Format = """
        A Server-Sent Events stream (`text/event-stream`). Each message is one event of the session:

        - `event:` the event's type: `status`, `capsule.attached`, `capsule.flagged`, `message.created`, `message.delta`, `message.completed`, `tool.call`, `tool.result`, `turn.resumed`, `usage` or `error`;
        - `data:` the event as one line of JSON, the same object as an item of `events` in `GET /v1/sessions/{id}` (schema `SessionEventDto`: `sequence`, `type`, `created_at`, `turn`, `data`);
        - `id:` the event's `sequence`, gapless from 1 per session.

        Stored events after the client's position come first, then live ones, each exactly once and in order. The stream ends after the `status` event that ends the latest turn (`completed`, `failed` or `cancelled`); to resume after a dropped connection, reconnect with `Last-Event-ID` set to the last `id` received. During quiet spells the server sends a comment line (`: keep-alive`) every few seconds so proxies keep the connection open; clients ignore it.
        """;

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.Responses?.TryGetValue("200", out var found) != true || found is not OpenApiResponse response
            || response.Content?.ContainsKey(OpenApiNames.EventStream) != true)
        {
            return Task.CompletedTask;
        }
        response.Description = Format.ReplaceLineEndings("\n");
        response.Content[OpenApiNames.EventStream] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Server-Sent Events: `event`, `data` and `id` lines per message, messages separated by a blank line." },
            Example = JsonValue.Create(ExampleStream()),
        };
        return Task.CompletedTask;
    }

    /// <summary>The example session's events, framed by the writer the stream itself uses.</summary>
    private static string ExampleStream()
    {
        var frames = new ArrayBufferWriter<byte>();
        using var json = new Utf8JsonWriter(frames);
        foreach (var item in OpenApiExamples.Events().Where(e => e.Sequence is 1 or 2 or 3 or 8 or 9 or 11))
        {
            SessionEventStreamResult.WriteFrame(frames, json, new SessionEventEnvelope(item.Sequence, item.Type, item.Turn, item.CreatedAt, item.Data.GetRawText()));
        }
        return Encoding.UTF8.GetString(frames.WrittenSpan);
    }
}
