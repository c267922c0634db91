using OpenAI.Chat;
using SomaAgent.Tests.Runtime.Models;

namespace SomaAgent.Tests.Gateway.ChatCompletions;

/// <summary>
/// The OpenAI SDK against the gateway whose model is itself an OpenAI-compatible endpoint (a fake on loopback):
/// the answer and the usage are the upstream model's, carried through the session pipeline.
/// </summary>
public sealed class ChatCompletionsOverOpenAIProviderTests(OpenAIGatewayFixture fixture) : IClassFixture<OpenAIGatewayFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_upstream_models_answer_and_reported_usage_come_back()
    {
        const string input = "hello upstream";
        var client = OpenAIClients.Chat(fixture.App, OpenAIGatewayFixture.Model);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(input)], cancellationToken: Ct);

        completion.Model.ShouldBe(OpenAIGatewayFixture.Model);
        completion.Content.ShouldHaveSingleItem().Text.ShouldContain(input);
        var upstream = fixture.OpenAI.Requests.Single(r => FakeOpenAIServer.FirstUserText(r) == input);
        completion.Usage.InputTokenCount.ShouldBe(upstream.GetRawText().Length / 4, "the fake counts a prompt token per 4 characters of its request body");
    }
}
