using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Tests.Gateway;

[Collection(GatewayCollection.Name)]
public sealed class IdempotencyTests(SharedGateway gateway)
{
    private readonly GatewayApp _app = gateway.App;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_retry_with_the_same_key_and_body_returns_the_same_session()
    {
        using var client = _app.CreateClient();
        var key = Guid.NewGuid().ToString();

        using var first = await PostAsync(client, key, "{\"input\": \"What is 2+2?\", \"metadata\": {\"a\": \"1\", \"b\": \"2\"}}");
        // Same request, other formatting and key order: still the same request.
        using var retry = await PostAsync(client, key, "{ \"metadata\": {\"b\": \"2\", \"a\": \"1\"},\n  \"input\": \"What is 2+2?\" }");

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        retry.StatusCode.ShouldBe(HttpStatusCode.Created);
        var firstId = (await first.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        var retryId = (await retry.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        retryId.ShouldBe(firstId);
        retry.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        retry.Headers.Location!.ToString().ShouldBe($"/v1/sessions/{firstId}");
    }

    [Fact]
    public async Task A_retry_runs_the_turn_once()
    {
        using var client = _app.CreateClient();
        var key = Guid.NewGuid().ToString();

        var id = (await (await PostAsync(client, key, "{\"input\": \"What is 3*3?\"}")).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        await _app.WaitForEndAsync(id, Ct);
        using var retry = await PostAsync(client, key, "{\"input\": \"What is 3*3?\"}");
        var session = await _app.WaitForEndAsync(id, Ct);

        session.GetProperty("turn").GetInt32().ShouldBe(1);
        session.GetProperty("events").EnumerateArray().Count(e => e.GetProperty("type").GetString() == "tool.call").ShouldBe(1);
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_refused_with_422()
    {
        using var client = _app.CreateClient();
        var key = Guid.NewGuid().ToString();

        using var first = await PostAsync(client, key, "{\"input\": \"one\"}");
        using var other = await PostAsync(client, key, "{\"input\": \"two\"}");

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        other.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        var problem = await other.Content.ReadFromJsonAsync<JsonElement>(Ct);
        problem.GetProperty("type").GetString().ShouldBe("urn:somaagent:problem:idempotency-key-reused");
        problem.GetProperty("detail").GetString()!.ShouldContain("different request body");
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_create_one_session()
    {
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var client = _app.CreateClient();
            using var response = await PostAsync(client, key, "{\"input\": \"race\"}");
            response.StatusCode.ShouldBe(HttpStatusCode.Created);
            return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetGuid();
        }));

        responses.Distinct().Count().ShouldBe(1);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string key, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sessions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request, Ct);
    }
}
