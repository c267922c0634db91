using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using SomaAgent.Gateway.Tenancy.RateLimiting;

namespace SomaAgent.Gateway.ChatCompletions;

/// <summary>
/// Documents <c>POST /v1/chat/completions</c> as the wire has it: a JSON completion or a stream of
/// <c>chat.completion.chunk</c> events, errors in OpenAI's shape (not problem details), with examples of each.
/// Runs after the shared transformers, replacing what they assume of session routes.
/// </summary>
internal sealed class ChatCompletionsOpenApiTransformer : IOpenApiOperationTransformer
{
    private const string OperationId = "CreateChatCompletion";

    private const string StreamDescription = """
        With `stream: false` (default): the completion as JSON. With `stream: true`: Server-Sent Events, each `data:` line a `chat.completion.chunk` (the first with `delta.role`, then `delta.content` pieces or `delta.tool_calls` with their `index`, then one with `finish_reason`), a last chunk with `usage` and no choices when `stream_options.include_usage` is true, and finally `data: [DONE]`. A turn that fails sends `data: {"error": {...}}` instead of the end. `finish_reason` is `stop`, `length` (the output-token limit) or `tool_calls` (the client runs the calls and sends their results in its next request).
        """;

    private const string ExampleStream = """
        data: {"id":"chatcmpl-0193a8a0-7c1e-7d3b-9f00-123456789abc","object":"chat.completion.chunk","created":1768469400,"model":"soma-simulated-1","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

        data: {"id":"chatcmpl-0193a8a0-7c1e-7d3b-9f00-123456789abc","object":"chat.completion.chunk","created":1768469400,"model":"soma-simulated-1","choices":[{"index":0,"delta":{"content":"You "},"finish_reason":null}]}

        data: {"id":"chatcmpl-0193a8a0-7c1e-7d3b-9f00-123456789abc","object":"chat.completion.chunk","created":1768469400,"model":"soma-simulated-1","choices":[{"index":0,"delta":{"content":"said: "},"finish_reason":null}]}

        data: {"id":"chatcmpl-0193a8a0-7c1e-7d3b-9f00-123456789abc","object":"chat.completion.chunk","created":1768469400,"model":"soma-simulated-1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

        data: {"id":"chatcmpl-0193a8a0-7c1e-7d3b-9f00-123456789abc","object":"chat.completion.chunk","created":1768469400,"model":"soma-simulated-1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}

        data: [DONE]


        """;

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.OperationId != OperationId || operation.Responses is null)
        {
            return Task.CompletedTask;
        }
        if (operation.RequestBody?.Content?.TryGetValue("application/json", out var request) == true)
        {
            request.Examples = new Dictionary<string, IOpenApiExample>(StringComparer.Ordinal)
            {
                ["text"] = new OpenApiExample { Summary = "A question", Value = Json("""{"model":"soma-simulated-1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there"}]}""") },
                ["client_tool"] = new OpenApiExample
                {
                    Summary = "A client tool the model may call",
                    Value = Json("""{"model":"soma-simulated-1","messages":[{"role":"user","content":"Use get_weather with {\"city\": \"Paris\"}"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"The current weather of a city.","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}"""),
                },
                ["tool_result"] = new OpenApiExample
                {
                    Summary = "The client's tool result, for the final answer",
                    Value = Json("""{"model":"soma-simulated-1","messages":[{"role":"user","content":"Use get_weather with {\"city\": \"Paris\"}"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_5d1e8f0a9b2c4d6e8f0a1b2c3","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_5d1e8f0a9b2c4d6e8f0a1b2c3","content":"{\"temperature_c\": 21}"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}"""),
                },
                ["stream"] = new OpenApiExample { Summary = "Streamed, with usage", Value = Json("""{"model":"soma-simulated-1","messages":[{"role":"user","content":"Hello there"}],"stream":true,"stream_options":{"include_usage":true}}""") },
            };
        }

        foreach (var (code, found) in operation.Responses)
        {
            if (found is not OpenApiResponse response || response.Content is null)
            {
                continue;
            }
            var status = int.Parse(code, NumberStyles.None, CultureInfo.InvariantCulture);
            if (status == StatusCodes.Status200OK)
            {
                response.Description = StreamDescription.ReplaceLineEndings("\n").Trim();
                if (response.Content.TryGetValue("application/json", out var json))
                {
                    json.Example = Json("""{"id":"chatcmpl-0193a8a0-7c1e-7d3b-9f00-123456789abc","object":"chat.completion","created":1768469400,"model":"soma-simulated-1","choices":[{"index":0,"message":{"role":"assistant","content":"You said: \"Hello there\"."},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}""");
                }
                response.Content["text/event-stream"] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Server-Sent Events: `data: {chunk}` lines separated by blank lines, ending with `data: [DONE]`." },
                    Example = JsonValue.Create(ExampleStream.ReplaceLineEndings("\n")),
                };
                continue;
            }
            var (description, example) = Error(status);
            response.Description = description;
            if (response.Content.TryGetValue("application/json", out var media))
            {
                media.Example = example;
            }
        }
        return Task.CompletedTask;
    }

    private static (string Description, JsonNode Example) Error(int status) => status switch
    {
        400 => ("The request is not valid (`invalid_request_error`); `param` names the field, `message` says how to fix it. Malformed JSON has `code: malformed_json`.",
            ErrorJson("messages must be a non-empty array; the last message is what the model answers.", "invalid_request_error", "messages", null)),
        404 => ("No such model (`code: model_not_found`); GET /v1/models lists them.",
            ErrorJson("The model 'gpt-17' does not exist. GET /v1/models lists the models: soma-simulated-1.", "invalid_request_error", "model", "model_not_found")),
        409 => ("The completion's session was cancelled (through POST /v1/sessions/{id}/cancel) before it finished (`code: turn_cancelled`).",
            ErrorJson("The completion's session 0193a8a0-7c1e-7d3b-9f00-123456789abc was cancelled before it finished (cancelled by the client).", "invalid_request_error", null, "turn_cancelled")),
        413 => ("The body is larger than the gateway accepts (`code: payload_too_large`; `GATEWAY_MAX_BODY_BYTES`).",
            ErrorJson("The request body is larger than the limit of 1048576 bytes (GATEWAY_MAX_BODY_BYTES).", "invalid_request_error", null, "payload_too_large")),
        415 => ("The body is not sent as `application/json` (`code: unsupported_media_type`).",
            ErrorJson("Send the body as application/json, not 'text/plain'.", "invalid_request_error", null, "unsupported_media_type")),
        429 => ("The API key or the tenant is over its requests per minute, or the tenant is at its concurrent-sessions quota (`type: rate_limit_exceeded`; `message` names which); wait the `Retry-After` seconds and retry.",
            ErrorJson(RateLimitProblems.RequestDetail(RateLimitScope.Tenant, 240_000, 12), "rate_limit_exceeded", null, "rate_limit_exceeded")),
        _ => ("The model failed or the turn ended without an answer (`code: turn_failed`), or the gateway failed (`code: internal`); the session keeps the events and `trace_id` finds the request in the logs.",
            ErrorJson("The completion failed: The model failed: connection refused. Session 0193a8a0-7c1e-7d3b-9f00-123456789abc keeps its events.", "server_error", null, "turn_failed")),
    };

    private static JsonObject ErrorJson(string message, string type, string? param, string? code) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = message,
            ["type"] = type,
            ["param"] = param,
            ["code"] = code,
            ["trace_id"] = "4bf92f3577b34da6a3ce929d0e0e4736",
        },
    };

    private static JsonNode Json(string json) => JsonNode.Parse(json)!;
}
