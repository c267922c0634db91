using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace SomaAgent.Tests.Gateway.ChatCompletions;

/// <summary>
/// The official OpenAI .NET SDK against <c>POST /v1/chat/completions</c>: whole and streamed answers, usage, a
/// client-tool round trip, errors the SDK understands, and the completion kept as a session.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ChatCompletionsTests(SharedGateway gateway)
{
    private static readonly ChatTool Weather = ChatTool.CreateFunctionTool(
        "get_weather",
        "The current weather of a city.",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_completion_answers_with_the_models_text_finish_reason_stop_and_usage()
    {
        var client = OpenAIClients.Chat(gateway.App);

        ChatCompletion completion = await client.CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("hello there")], cancellationToken: Ct);

        completion.Id.ShouldStartWith("chatcmpl-");
        completion.Model.ShouldBe(OpenAIClients.Model);
        completion.Role.ShouldBe(ChatMessageRole.Assistant);
        completion.Content.ShouldHaveSingleItem().Text.ShouldStartWith("You said: \"hello there\".");
        completion.FinishReason.ShouldBe(ChatFinishReason.Stop);
        completion.Usage.InputTokenCount.ShouldBePositive();
        completion.Usage.OutputTokenCount.ShouldBePositive();
        completion.Usage.TotalTokenCount.ShouldBe(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_streamed_completion_sends_the_same_text_in_chunks_then_the_usage()
    {
        var client = OpenAIClients.Chat(gateway.App);
        var text = new StringBuilder();
        var chunks = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;

        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("stream this please")], cancellationToken: Ct))
        {
            chunks++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
            usage = update.Usage ?? usage;
            finish = update.FinishReason ?? finish;
        }
        ChatCompletion whole = await client.CompleteChatAsync([new UserChatMessage("stream this please")], cancellationToken: Ct);

        text.ToString().ShouldBe(whole.Content[0].Text);
        chunks.ShouldBeGreaterThan(3, "the answer arrives word by word");
        finish.ShouldBe(ChatFinishReason.Stop);
        usage.ShouldNotBeNull().OutputTokenCount.ShouldBe(whole.Usage.OutputTokenCount);
        usage.InputTokenCount.ShouldBe(whole.Usage.InputTokenCount);
    }

    [Fact]
    public async Task A_client_tool_call_ends_the_completion_and_its_result_in_the_next_request_gets_the_answer()
    {
        var client = OpenAIClients.Chat(gateway.App);
        var options = new ChatCompletionOptions { Tools = { Weather } };
        List<ChatMessage> messages = [new UserChatMessage("""What is the weather? Use get_weather with {"city": "Paris"}""")];

        ChatCompletion first = await client.CompleteChatAsync(messages, options, Ct);

        first.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        var call = first.ToolCalls.ShouldHaveSingleItem();
        call.FunctionName.ShouldBe("get_weather");
        JsonDocument.Parse(call.FunctionArguments.ToString()).RootElement.GetProperty("city").GetString().ShouldBe("Paris");

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, """{"temperature_c": 21}"""));
        ChatCompletion second = await client.CompleteChatAsync(messages, options, Ct);

        second.FinishReason.ShouldBe(ChatFinishReason.Stop);
        second.ToolCalls.ShouldBeEmpty();
        second.Content.ShouldHaveSingleItem().Text.ShouldBe("""The get_weather tool returned {"temperature_c": 21}.""");
    }

    [Fact]
    public async Task A_client_tool_call_ends_the_sessions_turn_with_reason_tool_calls_and_the_executor_never_runs_it()
    {
        var client = OpenAIClients.Chat(gateway.App);
        ChatCompletion completion = await client.CompleteChatAsync(
            [new UserChatMessage("""get_weather {"city": "Rome"}""")], new ChatCompletionOptions { Tools = { Weather } }, Ct);
        using var http = gateway.App.CreateClient();

        var session = await http.GetFromJsonAsync<JsonElement>($"/v1/sessions/{OpenAIClients.SessionIdOf(completion.Id)}", Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("status_reason").GetString().ShouldBe("tool_calls");
        session.GetProperty("tools").GetArrayLength().ShouldBe(0, "the request's tools are the client's, not the deployment's");
        var types = session.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        types.ShouldContain("tool.call");
        types.ShouldNotContain("tool.result");
        var assistant = session.GetProperty("messages").EnumerateArray().Last();
        assistant.GetProperty("role").GetString().ShouldBe("assistant");
        assistant.GetProperty("tool_calls")[0].GetProperty("id").GetString().ShouldBe(completion.ToolCalls[0].Id);
    }

    [Fact]
    public async Task A_streamed_client_tool_call_arrives_as_a_tool_call_delta_with_finish_reason_tool_calls()
    {
        var client = OpenAIClients.Chat(gateway.App);
        var options = new ChatCompletionOptions { Tools = { Weather } };
        var calls = new List<StreamingChatToolCallUpdate>();
        ChatFinishReason? finish = null;

        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("""call get_weather with {"city": "Oslo"}""")], options, Ct))
        {
            calls.AddRange(update.ToolCallUpdates);
            finish = update.FinishReason ?? finish;
        }

        finish.ShouldBe(ChatFinishReason.ToolCalls);
        var call = calls.ShouldHaveSingleItem();
        call.FunctionName.ShouldBe("get_weather");
        call.ToolCallId.ShouldNotBeNullOrEmpty();
        call.FunctionArgumentsUpdate.ToString().ShouldBe("""{"city":"Oslo"}""");
    }

    [Fact]
    public async Task Tool_choice_none_keeps_the_model_from_calling_a_named_tool()
    {
        var client = OpenAIClients.Chat(gateway.App);
        var options = new ChatCompletionOptions { Tools = { Weather }, ToolChoice = ChatToolChoice.CreateNoneChoice() };

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("use get_weather")], options, Ct);

        completion.FinishReason.ShouldBe(ChatFinishReason.Stop);
        completion.ToolCalls.ShouldBeEmpty();
    }

    [Fact]
    public async Task Max_output_tokens_cuts_the_answer_with_finish_reason_length()
    {
        var client = OpenAIClients.Chat(gateway.App);

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("tell me everything")], new ChatCompletionOptions { MaxOutputTokenCount = 3 }, Ct);

        completion.FinishReason.ShouldBe(ChatFinishReason.Length);
        completion.Content[0].Text.ShouldBe("You said: \"tell ");
        completion.Usage.OutputTokenCount.ShouldBe(3);
    }

    [Fact]
    public async Task An_unknown_model_makes_the_sdk_throw_with_status_404_and_openais_message()
    {
        var client = OpenAIClients.Chat(gateway.App, model: "gpt-17");

        var error = await Should.ThrowAsync<System.ClientModel.ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Ct));

        error.Status.ShouldBe(404);
        error.Message.ShouldContain("The model 'gpt-17' does not exist");
        error.Message.ShouldContain("model_not_found");
    }

    [Fact]
    public async Task The_completion_is_stored_as_a_session_marked_as_a_chat_completion()
    {
        var client = OpenAIClients.Chat(gateway.App);
        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("keep me")], cancellationToken: Ct);
        using var http = gateway.App.CreateClient();

        var session = await http.GetFromJsonAsync<JsonElement>($"/v1/sessions/{OpenAIClients.SessionIdOf(completion.Id)}", Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("metadata").GetProperty("source").GetString().ShouldBe("chat.completions");
        session.GetProperty("output").GetString().ShouldBe(completion.Content[0].Text);
        session.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()).ShouldBe(["user", "assistant"]);
        session.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ShouldContain("usage");
    }
}
