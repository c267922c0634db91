using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SomaAgent.Tests.Gateway.ChatCompletions;

/// <summary>The OpenAPI document describes the OpenAI-compatible route as it answers: JSON or chunk stream, OpenAI errors.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ChatCompletionsOpenApiTests(SharedGateway gateway)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Chat_completions_document_a_completion_or_a_chunk_stream_and_openai_errors_only()
    {
        using var client = gateway.App.CreateClient();
        var document = (await client.GetFromJsonAsync<JsonNode>("/openapi.json", Ct))!;

        var operation = document["paths"]!["/v1/chat/completions"]!["post"]!;
        var ok = operation["responses"]!["200"]!["content"]!;
        ok["application/json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/ChatCompletion");
        ok["text/event-stream"]!["example"]!.GetValue<string>().ShouldContain("chat.completion.chunk");
        ok["text/event-stream"]!["example"]!.GetValue<string>().ShouldContain("data: [DONE]");
        foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => r.Key != "200"))
        {
            response!["content"]!.AsObject().Select(c => c.Key).ShouldBe(["application/json"], $"{status} answers only OpenAI's JSON error");
            response["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldBe("#/components/schemas/OpenAIErrorResponse", status);
            response["content"]!["application/json"]!["example"]!["error"]!["type"].ShouldNotBeNull(status);
        }
        operation["responses"]!["404"]!["content"]!["application/json"]!["example"]!["error"]!["code"]!.GetValue<string>().ShouldBe("model_not_found");
    }
}
