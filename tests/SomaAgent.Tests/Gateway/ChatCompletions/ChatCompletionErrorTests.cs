using System.Net;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Tests.Gateway.ChatCompletions;

/// <summary>
/// Errors on <c>/v1/chat/...</c> are OpenAI's <c>{"error": {"message", "type", "param", "code"}}</c>, whether the
/// handler, the JSON binder, the body limit or the routing refuses the request; nothing is stored for them.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ChatCompletionErrorTests(SharedGateway gateway)
{
    private const string Route = "/v1/chat/completions";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string?, int, string?, string?, string> Cases => new()
    {
        // name, content type, body, status, param, code, a phrase the message must contain
        { "no messages", "application/json", """{"model": "soma-simulated-1", "messages": []}""", 400, "messages", null, "non-empty array" },
        { "no model", "application/json", """{"messages": [{"role": "user", "content": "hi"}]}""", 400, "model", null, "provide a model" },
        { "an unknown role", "application/json", """{"model": "soma-simulated-1", "messages": [{"role": "wizard", "content": "hi"}]}""", 400, "messages[0].role", null, "'wizard'" },
        { "an image part", "application/json", """{"model": "soma-simulated-1", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}""", 400, "messages[0].content[0]", null, "only text content" },
        { "a tool result for no call", "application/json", """{"model": "soma-simulated-1", "messages": [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "call_x", "content": "1"}]}""", 400, "messages[1].tool_call_id", null, "earlier assistant message" },
        { "a non-function tool", "application/json", """{"model": "soma-simulated-1", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "retrieval"}]}""", 400, "tools[0]", null, "only function tools" },
        { "tool_choice naming no tool", "application/json", """{"model": "soma-simulated-1", "messages": [{"role": "user", "content": "hi"}], "tool_choice": {"type": "function", "function": {"name": "nope"}}}""", 400, "tool_choice", null, "not in tools" },
        { "stream_options without stream", "application/json", """{"model": "soma-simulated-1", "messages": [{"role": "user", "content": "hi"}], "stream_options": {"include_usage": true}}""", 400, "stream_options", null, "only allowed when stream is true" },
        { "n of 2", "application/json", """{"model": "soma-simulated-1", "messages": [{"role": "user", "content": "hi"}], "n": 2}""", 400, "n", null, "n must be 1" },
        { "malformed JSON", "application/json", """{"model": """, 400, null, "malformed_json", "not valid JSON" },
        { "JSON of the wrong type", "application/json", """{"model": "soma-simulated-1", "messages": "hi"}""", 400, null, "malformed_json", "$.messages" },
        { "wrong content type", "text/plain", "hi", 415, null, "unsupported_media_type", "application/json" },
        { "body over the limit", "application/json", "{\"model\": \"" + new string('a', 1024 * 1024) + "\"}", 413, null, "payload_too_large", "1048576 bytes" },
        { "an unknown model", "application/json", """{"model": "gpt-17", "messages": [{"role": "user", "content": "hi"}]}""", 404, "model", "model_not_found", "does not exist" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_requests_get_openais_error_shape(string name, string contentType, string? body, int status, string? param, string? code, string phrase)
    {
        using var client = gateway.App.CreateClient();

        using var response = await client.PostAsync(Route, new StringContent(body ?? "", Encoding.UTF8, contentType), Ct);

        ((int)response.StatusCode).ShouldBe(status, name);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json", name);
        var error = ErrorOf(await response.Content.ReadAsStringAsync(Ct), name);
        error.GetProperty("type").GetString().ShouldBe(status == 404 || status < 500 ? "invalid_request_error" : "server_error", name);
        error.GetProperty("message").GetString()!.ShouldContain(phrase, Case.Sensitive, name);
        if (param is not null)
        {
            error.GetProperty("param").GetString().ShouldBe(param, name);
        }
        if (code is not null)
        {
            error.GetProperty("code").GetString().ShouldBe(code, name);
        }
    }

    [Fact]
    public async Task A_wrong_method_gets_openais_error_shape_with_405()
    {
        using var client = gateway.App.CreateClient();

        using var response = await client.GetAsync(Route, Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        var error = ErrorOf(await response.Content.ReadAsStringAsync(Ct), "GET");
        error.GetProperty("code").GetString().ShouldBe("method_not_allowed");
        error.GetProperty("message").GetString()!.ShouldContain("use POST");
    }

    [Fact]
    public async Task Session_routes_keep_problem_details()
    {
        using var client = gateway.App.CreateClient();

        using var response = await client.PostAsync("/v1/sessions", new StringContent("{", Encoding.UTF8, "application/json"), Ct);

        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    /// <summary>The <c>error</c> object of an OpenAI error body, which has nothing else at the top level.</summary>
    private static JsonElement ErrorOf(string body, string name)
    {
        var root = JsonDocument.Parse(body).RootElement;
        root.EnumerateObject().Select(p => p.Name).ShouldBe(["error"], name);
        var error = root.GetProperty("error");
        error.EnumerateObject().Select(p => p.Name).ShouldBe(["message", "type", "param", "code", "trace_id"], ignoreOrder: true, customMessage: name);
        return error.Clone();
    }
}
