using System.Net;
using System.Text;
using System.Text.Json;

namespace SomaAgent.Tests.Gateway.ChatCompletions;

/// <summary>The key's rate limit covers the OpenAI-compatible route and answers 429 in OpenAI's shape.</summary>
public sealed class ChatCompletionRateLimitTests : IAsyncLifetime
{
    private readonly GatewayApp _app = new(settings: new Dictionary<string, string?>
    {
        ["SomaAgent:RateLimits:KeyRequestsPerMinute"] = "1",
    });
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Over_the_limit_answers_429_with_retry_after_and_type_rate_limit_exceeded()
    {
        using var client = _app.CreateClient();
        const string body = """{"model": "soma-simulated-1", "messages": []}""";

        HttpResponseMessage? refused = null;
        for (var i = 0; i < 5 && refused is null; i++)
        {
            var response = await client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refused = response;
            }
            else
            {
                response.Dispose();
            }
        }

        using var limited = refused.ShouldNotBeNull();
        limited.Headers.RetryAfter.ShouldNotBeNull();
        var error = JsonDocument.Parse(await limited.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        error.GetProperty("type").GetString().ShouldBe("rate_limit_exceeded");
        error.GetProperty("code").GetString().ShouldBe("rate_limit_exceeded");
        error.GetProperty("message").GetString()!.ShouldContain("over its limit of 1 requests per minute");
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
