using System.Text.Json;
using Microsoft.Extensions.AI;
using SomaAgent.Runtime.Models;

namespace SomaAgent.Tests.Runtime.Models;

/// <summary>
/// The simulated model's rules for what a client's request sets: its own tools, the tool mode, the output-token
/// limit, and the usage it reports.
/// </summary>
public sealed class SimulatedChatClientRequestOptionsTests
{
    private static readonly AITool Weather = AIFunctionFactory.CreateDeclaration("get_weather", "The weather of a city.",
        JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}}}""").RootElement);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_client_tool_named_in_the_message_is_called_with_the_first_json_object_in_it()
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, """Use get_weather with {"city": "Paris"} please""")], new ChatOptions { Tools = [Weather] }, Ct);

        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ShouldHaveSingleItem();
        call.Name.ShouldBe("get_weather");
        call.Arguments!["city"].ShouldBeOfType<JsonElement>().GetString().ShouldBe("Paris");
        response.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
    }

    [Theory]
    [InlineData("what is the weather?")]
    [InlineData("use get_weathers")]
    public async Task A_client_tool_not_named_as_a_word_is_not_called(string input)
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, input)], new ChatOptions { Tools = [Weather] }, Ct);

        response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ShouldBeEmpty();
    }

    [Fact]
    public async Task A_required_tool_is_called_without_being_named_with_empty_arguments()
    {
        var options = new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.RequireSpecific("get_weather") };

        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, "how is it outside?")], options, Ct);

        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ShouldHaveSingleItem();
        call.Name.ShouldBe("get_weather");
        call.Arguments.ShouldBeEmpty();
    }

    [Fact]
    public async Task Tool_mode_none_calls_no_tool_even_when_named()
    {
        var options = new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.None };

        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, "use get_weather")], options, Ct);

        response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ShouldBeEmpty();
        response.FinishReason.ShouldBe(ChatFinishReason.Stop);
    }

    [Fact]
    public async Task Max_output_tokens_stops_the_answer_after_that_many_words_with_finish_reason_length()
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, "hello")], new ChatOptions { MaxOutputTokens = 2 }, Ct);

        response.Text.ShouldBe("You said: ");
        response.FinishReason.ShouldBe(ChatFinishReason.Length);
    }

    [Fact]
    public async Task Usage_counts_a_token_per_4_prompt_characters_and_one_per_streamed_word()
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "hello")], new ChatOptions(), Ct);

        var words = response.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        response.Usage.ShouldNotBeNull();
        response.Usage.InputTokenCount.ShouldBe(4, "14 characters, rounded up to 4 tokens");
        response.Usage.OutputTokenCount.ShouldBe(words);
        response.Usage.TotalTokenCount.ShouldBe(4 + words);
    }

    private static SimulatedChatClient Client() => new(new SimulatedModelOptions(), TimeProvider.System);
}
