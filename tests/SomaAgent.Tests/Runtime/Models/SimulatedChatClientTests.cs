using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Tools.BuiltIn;

namespace SomaAgent.Tests.Runtime.Models;

public sealed class SimulatedChatClientTests
{
    private static readonly ChatOptions AllTools = new() { Tools = [.. BuiltInTools.Create().Select(t => t.Function)] };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("What is 6 * 7?", 42)]
    [InlineData("6 times 7", 42)]
    [InlineData("what is 6 multiplied by 7", 42)]
    [InlineData("what is 6 x 7", 42)]
    [InlineData("12 plus 30 minus 2", 40)]
    [InlineData("what is 10 divided by 4?", 2.5)]
    [InlineData("2 to the power of 10", 1024)]
    [InlineData("17 mod 5", 2)]
    [InlineData("Please compute (12 + 30) * 2, thanks.", 84)]
    [InlineData("what is sqrt(16) + 1", 5)]
    public async Task Arithmetic_calls_the_calculator_with_an_expression_of_the_asked_value(string input, double expected)
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, input)], AllTools, Ct);

        var call = Calls(response).ShouldHaveSingleItem();
        call.Name.ShouldBe(BuiltInTools.Calculator);
        ArithmeticExpression.Evaluate(call.Arguments!["expression"].ShouldBeOfType<string>()).ShouldBe(expected);
        response.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
    }

    [Fact]
    public async Task A_time_question_calls_the_clock_without_a_zone()
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, "What time is it?")], AllTools, Ct);

        var call = Calls(response).ShouldHaveSingleItem();
        call.Name.ShouldBe(BuiltInTools.Clock);
        call.Arguments.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_time_question_naming_a_zone_passes_the_zone_to_the_clock()
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, "What time is it in Europe/Paris?")], AllTools, Ct);

        var call = Calls(response).ShouldHaveSingleItem();
        call.Name.ShouldBe(BuiltInTools.Clock);
        call.Arguments!["timezone"].ShouldBe("Europe/Paris");
    }

    [Fact]
    public async Task Arithmetic_and_a_time_question_together_call_both_tools_in_one_step()
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, "What time is it and what is 2+2?")], AllTools, Ct);

        Calls(response).Select(c => c.Name).ShouldBe([BuiltInTools.Calculator, BuiltInTools.Clock]);
        Calls(response).Select(c => c.CallId).Distinct().Count().ShouldBe(2);
    }

    [Theory]
    [InlineData("remember my color is blue", "color", "blue")]
    [InlineData("Remember that my favourite city is Lyon.", "favourite city", "Lyon")]
    [InlineData("remember the door code = 1234", "the door code", "1234")]
    public async Task Remember_calls_memory_set_with_the_key_and_value(string input, string key, string value)
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, input)], AllTools, Ct);

        var call = Calls(response).ShouldHaveSingleItem();
        call.Name.ShouldBe(BuiltInTools.Memory);
        call.Arguments.ShouldBe(new Dictionary<string, object?> { ["action"] = "set", ["key"] = key, ["value"] = value });
    }

    [Theory]
    [InlineData("what is my color?", "color")]
    [InlineData("What's my favourite city", "favourite city")]
    [InlineData("recall my color", "color")]
    [InlineData("recall door code", "door code")]
    public async Task A_recall_question_calls_memory_get_with_the_key(string input, string key)
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, input)], AllTools, Ct);

        var call = Calls(response).ShouldHaveSingleItem();
        call.Name.ShouldBe(BuiltInTools.Memory);
        call.Arguments.ShouldBe(new Dictionary<string, object?> { ["action"] = "get", ["key"] = key });
    }

    [Fact]
    public async Task Without_offered_tools_it_answers_in_text_and_calls_nothing()
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, "What is 6 * 7?")], new ChatOptions(), Ct);

        Calls(response).ShouldBeEmpty();
        response.Text.ShouldStartWith("You said: \"What is 6 * 7?\".");
        response.FinishReason.ShouldBe(ChatFinishReason.Stop);
    }

    [Fact]
    public async Task It_calls_only_the_tools_the_request_offers()
    {
        var clockOnly = new ChatOptions { Tools = [.. BuiltInTools.Create().Where(t => t.Name == BuiltInTools.Clock).Select(t => t.Function)] };

        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, "What time is it and what is 2+2?")], clockOnly, Ct);

        Calls(response).Select(c => c.Name).ShouldBe([BuiltInTools.Clock]);
    }

    [Fact]
    public async Task Other_input_is_echoed_with_what_the_model_can_do()
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, "  hello there ")], AllTools, Ct);

        Calls(response).ShouldBeEmpty();
        response.Text.ShouldBe("You said: \"hello there\". I am SomaAgent's built-in simulated model: ask me to calculate something (\"what is 6 * 7?\"), for the time, or to remember something.");
    }

    [Theory]
    [InlineData("calculator", """{"expression":"6*7","result":42}""", "6*7 = 42.")]
    [InlineData("calculator", """{"error":"The result is not a finite number."}""", "The calculator tool failed: The result is not a finite number.")]
    [InlineData("clock", """{"utc":"2030-01-02T03:04:05Z","timezone":null,"local":null}""", "It is 2030-01-02T03:04:05Z UTC.")]
    [InlineData("clock", """{"utc":"2030-01-02T03:04:05Z","timezone":"Europe/Paris","local":"2030-01-02T04:04:05+01:00"}""", "It is 2030-01-02T03:04:05Z UTC, which is 2030-01-02T04:04:05+01:00 in Europe/Paris.")]
    [InlineData("memory", """{"action":"set","key":"color","value":"blue","keys":null}""", "I will remember that color is blue.")]
    [InlineData("memory", """{"action":"get","key":"color","value":"blue","keys":null}""", "Your color is blue.")]
    [InlineData("memory", """{"action":"get","key":"color","value":null,"keys":null}""", "I have nothing stored under color.")]
    [InlineData("memory", """{"action":"list","key":null,"value":null,"keys":["a","b"]}""", "I remember: [\"a\",\"b\"].")]
    public async Task After_tool_results_it_answers_from_them_without_calling_again(string tool, string resultJson, string answer)
    {
        using var result = JsonDocument.Parse(resultJson);
        List<ChatMessage> history =
        [
            new(ChatRole.User, "What is 6 * 7?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", tool, new Dictionary<string, object?>())]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", result.RootElement.Clone())]),
        ];

        var response = await Client().GetResponseAsync(history, AllTools, Ct);

        Calls(response).ShouldBeEmpty();
        response.Text.ShouldBe(answer);
    }

    [Fact]
    public async Task Several_tool_results_are_answered_in_order()
    {
        List<ChatMessage> history =
        [
            new(ChatRole.User, "What time is it and what is 2+2?"),
            new(ChatRole.Assistant, [
                new FunctionCallContent("call_a", BuiltInTools.Calculator, new Dictionary<string, object?> { ["expression"] = "2+2" }),
                new FunctionCallContent("call_b", BuiltInTools.Clock, new Dictionary<string, object?>())]),
            new(ChatRole.Tool, [
                new FunctionResultContent("call_a", """{"expression":"2+2","result":4}"""),
                new FunctionResultContent("call_b", """{"utc":"2030-01-02T03:04:05Z"}""")]),
        ];

        var response = await Client().GetResponseAsync(history, AllTools, Ct);

        response.Text.ShouldBe("2+2 = 4. It is 2030-01-02T03:04:05Z UTC.");
    }

    [Fact]
    public async Task The_answer_streams_in_several_updates_that_join_to_the_whole_text()
    {
        var updates = await Client().GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hello there")], AllTools, Ct).ToListAsync(Ct);

        var texts = updates.Select(u => u.Text).Where(t => t.Length > 0).ToList();
        texts.Count.ShouldBeGreaterThan(5);
        string.Concat(texts).ShouldStartWith("You said: \"hello there\".");
        updates[^1].FinishReason.ShouldBe(ChatFinishReason.Stop);
        updates.ShouldAllBe(u => u.ModelId == SimulatedChatClient.ModelId && u.ResponseId == updates[0].ResponseId);
    }

    [Fact]
    public async Task With_zero_timing_the_answer_needs_no_time_to_pass()
    {
        var time = new FakeTimeProvider();

        var response = await Client(new SimulatedModelOptions(), time).GetResponseAsync([new ChatMessage(ChatRole.User, "hello")], AllTools, Ct)
            .WaitAsync(TimeSpan.FromSeconds(5), Ct);

        response.Text.ShouldStartWith("You said");
    }

    [Fact]
    public async Task The_first_piece_waits_for_the_time_to_first_token_and_each_next_for_the_time_per_token()
    {
        var time = new FakeTimeProvider();
        var client = Client(new SimulatedModelOptions { TimeToFirstTokenMs = 500, TimePerTokenMs = 40 }, time);
        await using var stream = client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hello there")], AllTools, Ct).GetAsyncEnumerator(Ct);

        var first = stream.MoveNextAsync().AsTask();
        time.Advance(TimeSpan.FromMilliseconds(499));
        first.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        (await first.WaitAsync(TimeSpan.FromSeconds(5), Ct)).ShouldBeTrue();
        stream.Current.Text.ShouldBe("You ");

        var second = stream.MoveNextAsync().AsTask();
        time.Advance(TimeSpan.FromMilliseconds(39));
        second.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        (await second.WaitAsync(TimeSpan.FromSeconds(5), Ct)).ShouldBeTrue();
        stream.Current.Text.ShouldBe("said: ");
    }

    [Fact]
    public async Task A_tool_call_waits_for_the_tool_call_pause()
    {
        var time = new FakeTimeProvider();
        var client = Client(new SimulatedModelOptions { ToolCallPauseMs = 300, TimeToFirstTokenMs = 5_000 }, time);
        await using var stream = client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "what is 6*7")], AllTools, Ct).GetAsyncEnumerator(Ct);

        var next = stream.MoveNextAsync().AsTask();
        time.Advance(TimeSpan.FromMilliseconds(299));
        next.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));

        (await next.WaitAsync(TimeSpan.FromSeconds(5), Ct)).ShouldBeTrue();
        stream.Current.Contents.OfType<FunctionCallContent>().ShouldHaveSingleItem().Name.ShouldBe(BuiltInTools.Calculator);
    }

    [Fact]
    public async Task Cancelling_during_a_pause_stops_the_stream()
    {
        var time = new FakeTimeProvider();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var client = Client(new SimulatedModelOptions { TimeToFirstTokenMs = 1_000 }, time);

        var reading = client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hello")], AllTools, cancel.Token).ToListAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(reading.WaitAsync(TimeSpan.FromSeconds(5), Ct));
    }

    [Fact]
    public void It_describes_itself_as_the_simulated_model()
    {
        using var client = Client();

        client.GetService<ChatClientMetadata>()!.DefaultModelId.ShouldBe(SimulatedChatClient.ModelId);
        client.GetService<SimulatedChatClient>().ShouldBeSameAs(client);
        client.GetService(typeof(ChatClientMetadata), serviceKey: "other").ShouldBeNull();
    }

    [Theory]
    [InlineData("I have 3 cats")]
    [InlineData("version 2")]
    [InlineData("what is 1/0")]
    [InlineData("")]
    public void Text_without_a_computable_operation_holds_no_expression(string text)
    {
        SimulatedChatClient.FindExpression(text).ShouldBeNull();
    }

    [Fact]
    public async Task A_call_line_calls_the_named_offered_tool_with_its_JSON_arguments()
    {
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((long a, long b) => a + b, "files__add")] };

        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, """call files__add {"a": 2, "b": 3}""")], options, Ct);

        var call = Calls(response).ShouldHaveSingleItem();
        call.Name.ShouldBe("files__add");
        call.Arguments!["a"].ShouldBeOfType<JsonElement>().GetInt64().ShouldBe(2);
        call.Arguments["b"].ShouldBeOfType<JsonElement>().GetInt64().ShouldBe(3);
        response.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
    }

    [Fact]
    public async Task Several_call_lines_call_several_tools_in_one_step_and_a_bare_call_has_no_arguments()
    {
        var text = "call clock\ncall calculator {\"expression\": \"1+1\"}";

        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, text)], AllTools, Ct);

        var calls = Calls(response);
        calls.Select(c => c.Name).ShouldBe([BuiltInTools.Clock, BuiltInTools.Calculator]);
        calls[0].Arguments.ShouldBeEmpty();
        calls[1].Arguments!["expression"].ShouldBeOfType<JsonElement>().GetString().ShouldBe("1+1");
    }

    [Theory]
    [InlineData("call weather {\"city\": \"Paris\"}")]
    [InlineData("call calculator {not json}")]
    public async Task A_call_line_naming_a_tool_not_offered_or_with_bad_JSON_calls_nothing(string text)
    {
        var response = await Client().GetResponseAsync([new ChatMessage(ChatRole.User, text)], AllTools, Ct);

        Calls(response).ShouldBeEmpty();
        response.Text.ShouldStartWith("You said:");
    }

    private static SimulatedChatClient Client(SimulatedModelOptions? timing = null, TimeProvider? time = null) =>
        new(timing ?? new SimulatedModelOptions(), time ?? TimeProvider.System);

    private static List<FunctionCallContent> Calls(ChatResponse response) =>
        [.. response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()];
}
