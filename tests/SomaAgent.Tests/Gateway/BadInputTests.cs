using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Tests.Gateway;

/// <summary>
/// Every kind of bad input gets a 4xx problem+json with a stable type and a useful detail, never a 500 or a
/// stack trace, and never a stored half session.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private static readonly string Unknown = Guid.NewGuid().ToString();
    private readonly GatewayApp _app = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, string?, string?, int, string, string> Cases => new()
    {
        // name, method, path, content type, body, status, problem type, a phrase the detail must contain
        { "malformed JSON", "POST", "/v1/sessions", "application/json", "{\"input\": ", 400, "malformed-json", "not valid JSON" },
        { "JSON of the wrong type", "POST", "/v1/sessions", "application/json", "{\"input\": 5}", 400, "malformed-json", "$.input" },
        { "a JSON array instead of an object", "POST", "/v1/sessions", "application/json", "[]", 400, "malformed-json", "not valid JSON" },
        { "an empty body", "POST", "/v1/sessions", "application/json", "", 400, "malformed-json", "JSON body" },
        { "wrong content type", "POST", "/v1/sessions", "text/plain", "hello", 415, "unsupported-media-type", "application/json" },
        { "body over the limit", "POST", "/v1/sessions", "application/json", "{\"input\": \"" + new string('a', 1024 * 1024) + "\"}", 413, "payload-too-large", "1048576 bytes" },
        { "empty input", "POST", "/v1/sessions", "application/json", "{\"input\": \"\"}", 400, "validation", "'input' is empty" },
        { "whitespace input", "POST", "/v1/sessions", "application/json", "{\"input\": \"   \"}", 400, "validation", "'input' is empty" },
        { "no input at all", "POST", "/v1/sessions", "application/json", "{}", 400, "validation", "Give 'input'" },
        { "input and messages together", "POST", "/v1/sessions", "application/json", "{\"input\": \"a\", \"messages\": [{\"role\": \"user\", \"content\": \"b\"}]}", 400, "validation", "not both" },
        { "a transcript not ending with the user", "POST", "/v1/sessions", "application/json", "{\"messages\": [{\"role\": \"assistant\", \"content\": \"b\"}]}", 400, "validation", "last message must be from the user" },
        { "an unknown role", "POST", "/v1/sessions", "application/json", "{\"messages\": [{\"role\": \"wizard\", \"content\": \"b\"}]}", 400, "validation", "'wizard'" },
        { "an unknown model", "POST", "/v1/sessions", "application/json", "{\"input\": \"hi\", \"model\": \"gpt-17\"}", 400, "validation", "Unknown model 'gpt-17'" },
        { "an unknown tool", "POST", "/v1/sessions", "application/json", "{\"input\": \"hi\", \"tools\": [\"teleport\"]}", 400, "validation", "Unknown tool 'teleport'" },
        { "too much metadata", "POST", "/v1/sessions", "application/json", "{\"input\": \"hi\", \"metadata\": {" + string.Join(",", Enumerable.Range(0, 17).Select(i => $"\"k{i}\": \"v\"")) + "}}", 400, "validation", "At most 16 metadata" },
        { "a malformed idempotency key", "POST", "/v1/sessions", "application/json", "{\"input\": \"hi\"}", 400, "validation", "Idempotency-Key" },
        { "a malformed session id", "GET", "/v1/sessions/not-a-uuid", null, null, 400, "validation", "'not-a-uuid' is not a session id" },
        { "an unknown session id", "GET", $"/v1/sessions/{Unknown}", null, null, 404, "not-found", Unknown },
        { "a negative after", "GET", $"/v1/sessions/{Unknown}?after=-1", null, null, 400, "validation", "after must be" },
        { "a non-numeric after", "GET", $"/v1/sessions/{Unknown}?after=abc", null, null, 400, "bad-request", "after" },
        { "a limit of zero", "GET", "/v1/sessions?limit=0", null, null, 400, "validation", "between 1 and 100" },
        { "a limit over 100", "GET", "/v1/sessions?limit=101", null, null, 400, "validation", "between 1 and 100" },
        { "a non-numeric limit", "GET", "/v1/sessions?limit=ten", null, null, 400, "bad-request", "limit" },
        { "a forged cursor", "GET", "/v1/sessions?cursor=bm90LWEtY3Vyc29y", null, null, 400, "validation", "cursor is not one this API issued" },
        { "a bad Last-Event-ID", "GET", $"/v1/sessions/{Unknown}/events", null, null, 400, "validation", "Last-Event-ID must be" },
        { "events of an unknown session", "GET", $"/v1/sessions/{Unknown}/events", null, null, 404, "not-found", Unknown },
        { "a message to a malformed id", "POST", "/v1/sessions/123/messages", "application/json", "{\"input\": \"hi\"}", 400, "validation", "'123' is not a session id" },
        { "a message to an unknown session", "POST", $"/v1/sessions/{Unknown}/messages", "application/json", "{\"input\": \"hi\"}", 404, "not-found", Unknown },
        { "an empty message", "POST", $"/v1/sessions/{Unknown}/messages", "application/json", "{\"input\": \"\"}", 400, "validation", "'input' is empty" },
        { "cancelling an unknown session", "POST", $"/v1/sessions/{Unknown}/cancel", null, null, 404, "not-found", Unknown },
        { "cancelling a malformed id", "POST", "/v1/sessions/%20/cancel", null, null, 400, "validation", "is not a session id" },
        { "an unknown route", "GET", "/v1/teleport", null, null, 404, "route-not-found", "No endpoint serves GET /v1/teleport" },
        { "an unknown API version", "GET", "/v2/sessions", null, null, 404, "unsupported-api-version", "'v2'" },
        { "an unknown method", "DELETE", "/v1/sessions", null, null, 405, "method-not-allowed", "DELETE is not allowed" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_a_problem_that_explains_it(
        string name, string method, string path, string? contentType, string? body, int status, string type, string detailContains)
    {
        using var client = _app.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType!);
        }
        if (name == "a malformed idempotency key")
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 300));
        }
        if (name == "a bad Last-Event-ID")
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", "seven");
        }

        using var response = await client.SendAsync(request, Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        ((int)response.StatusCode).ShouldBe(status, $"{name}: {text}");
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", name);
        var problem = JsonDocument.Parse(text).RootElement;
        problem.GetProperty("type").GetString().ShouldBe($"urn:somaagent:problem:{type}", name);
        problem.GetProperty("status").GetInt32().ShouldBe(status, name);
        problem.GetProperty("detail").GetString()!.ShouldContain(detailContains, Case.Insensitive, name);
        problem.GetProperty("trace_id").GetString().ShouldNotBeNullOrEmpty(name);
        text.ShouldNotContain("   at ", Case.Sensitive, $"{name} leaks a stack trace");
        response.Headers.GetValues("api-version").ShouldBe(["1"], name);

        using var list = await client.GetAsync("/v1/sessions", Ct);
        var sessions = await list.Content.ReadFromJsonAsync<JsonElement>(Ct);
        sessions.GetProperty("data").GetArrayLength().ShouldBe(0, $"{name} stored a session");
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
