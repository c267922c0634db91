using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SomaAgent.Tests.Gateway;

namespace SomaAgent.Tests.Runtime.Models;

/// <summary>A fake OpenAI endpoint on loopback and a gateway configured to use it as model <c>fake-gpt</c>.</summary>
public sealed class OpenAIGatewayFixture : IAsyncLifetime
{
    public const string Model = "fake-gpt";

    public FakeOpenAIServer OpenAI { get; } = new();

    public GatewayApp App { get; private set; } = null!;

    /// <summary>Settings that point the gateway at <see cref="OpenAI"/> with the given key.</summary>
    public Dictionary<string, string?> Settings(string apiKey) => new()
    {
        ["SomaAgent:Models:OpenAI:BaseUrl"] = OpenAI.BaseUrl.ToString(),
        ["SomaAgent:Models:OpenAI:ApiKey"] = apiKey,
        ["SomaAgent:Models:OpenAI:Models:0"] = Model,
    };

    public async ValueTask InitializeAsync()
    {
        await OpenAI.InitializeAsync();
        App = new GatewayApp(settings: Settings(OpenAI.ApiKey));
        _ = App.Server;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await OpenAI.DisposeAsync();
    }
}

public sealed class OpenAICompatibleProviderTests(OpenAIGatewayFixture fixture) : IClassFixture<OpenAIGatewayFixture>
{
    private const string Arithmetic = "compute 6*7";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Models_list_the_configured_model_as_real_and_the_builtin_as_simulated()
    {
        using var client = fixture.App.CreateClient();

        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models", GatewayApp.Json, Ct);

        var data = models.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        data[OpenAIGatewayFixture.Model].GetProperty("simulated").GetBoolean().ShouldBeFalse();
        data[OpenAIGatewayFixture.Model].GetProperty("provider").GetString().ShouldBe("openai");
        data["soma-simulated-1"].GetProperty("simulated").GetBoolean().ShouldBeTrue();
        data["soma-simulated-1"].GetProperty("provider").GetString().ShouldBe("builtin");
    }

    [Fact]
    public async Task A_tool_call_from_the_endpoint_runs_the_calculator_and_the_answer_completes_the_turn()
    {
        var session = await RunAsync($"{Arithmetic} please", Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString().ShouldBe("The result is 42.");
        var events = Events(session);
        var call = events.Single(e => e.GetProperty("type").GetString() == "tool.call").GetProperty("data");
        call.GetProperty("name").GetString().ShouldBe("calculator");
        call.GetProperty("arguments").GetProperty("expression").GetString().ShouldBe("6*7");
        var result = events.Single(e => e.GetProperty("type").GetString() == "tool.result").GetProperty("data");
        result.GetProperty("call_id").GetString().ShouldBe(call.GetProperty("call_id").GetString());
        result.GetProperty("is_error").GetBoolean().ShouldBeFalse();
        result.GetProperty("result").GetProperty("result").GetDouble().ShouldBe(42);
    }

    [Fact]
    public async Task The_streamed_answer_arrives_as_several_deltas()
    {
        var session = await RunAsync($"{Arithmetic} and stream", Ct);

        var deltas = Events(session).Where(e => e.GetProperty("type").GetString() == "message.delta")
            .Select(e => e.GetProperty("data").GetProperty("content").GetString()).ToList();
        deltas.Count.ShouldBeGreaterThan(1);
        string.Concat(deltas).ShouldBe("The result is 42.");
    }

    [Fact]
    public async Task The_tool_result_goes_back_to_the_endpoint_under_the_call_id_it_chose()
    {
        const string input = $"{Arithmetic} and report back";
        var session = await RunAsync(input, Ct);

        var callId = Events(session).Single(e => e.GetProperty("type").GetString() == "tool.call").GetProperty("data").GetProperty("call_id").GetString();
        var requests = fixture.OpenAI.Requests.Where(r => FakeOpenAIServer.FirstUserText(r) == input).ToList();
        requests.Count.ShouldBe(2);
        requests.ShouldAllBe(r => r.GetProperty("model").GetString() == OpenAIGatewayFixture.Model && r.GetProperty("stream").GetBoolean());
        var offered = requests[0].GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()).ToList();
        offered.ShouldContain("calculator");
        var messages = requests[1].GetProperty("messages").EnumerateArray().ToList();
        var assistant = messages.Single(m => m.GetProperty("role").GetString() == "assistant");
        assistant.GetProperty("tool_calls")[0].GetProperty("id").GetString().ShouldBe(callId);
        var tool = messages.Single(m => m.GetProperty("role").GetString() == "tool");
        tool.GetProperty("tool_call_id").GetString().ShouldBe(callId);
        using var content = JsonDocument.Parse(tool.GetProperty("content").GetString()!);
        content.RootElement.GetProperty("result").GetDouble().ShouldBe(42);
    }

    [Fact]
    public async Task Without_a_tool_to_call_the_endpoint_answer_is_the_output()
    {
        var id = await fixture.App.CreateSessionAsync(new { input = "hello there", model = OpenAIGatewayFixture.Model, tools = Array.Empty<string>() }, Ct);

        var session = await fixture.App.WaitForEndAsync(id, Ct);

        session.GetProperty("status").GetString().ShouldBe("completed");
        session.GetProperty("output").GetString().ShouldBe("Echo: hello there");
        Events(session).ShouldNotContain(e => e.GetProperty("type").GetString() == "tool.call");
    }

    [Fact]
    public async Task A_rejected_api_key_fails_the_turn_with_an_error_event()
    {
        await using var app = new GatewayApp(settings: fixture.Settings("sk-wrong"));
        var id = await app.CreateSessionAsync(new { input = Arithmetic, model = OpenAIGatewayFixture.Model }, Ct);

        var session = await app.WaitForEndAsync(id, Ct, timeout: TimeSpan.FromSeconds(10));

        session.GetProperty("status").GetString().ShouldBe("failed");
        var reason = session.GetProperty("status_reason").GetString();
        reason.ShouldNotBeNull();
        reason.ShouldContain("The model failed");
        reason.ShouldContain("401");
        var error = Events(session).Single(e => e.GetProperty("type").GetString() == "error").GetProperty("data");
        error.GetProperty("code").GetString().ShouldBe("model_error");
        error.GetProperty("message").GetString()!.ShouldContain("API key");
    }

    [Fact]
    public async Task A_base_url_without_models_stops_the_start_up_naming_the_setting()
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["SomaAgent:Models:OpenAI:BaseUrl"] = fixture.OpenAI.BaseUrl.ToString(),
        });

        var thrown = Should.Throw<OptionsValidationException>(() => app.Server);

        thrown.Message.ShouldContain("SomaAgent:Models:OpenAI:Models");
    }

    [Fact]
    public async Task A_base_url_that_is_not_http_stops_the_start_up_naming_the_setting()
    {
        await using var app = new GatewayApp(settings: new Dictionary<string, string?>
        {
            ["SomaAgent:Models:OpenAI:BaseUrl"] = "ftp://127.0.0.1/v1",
            ["SomaAgent:Models:OpenAI:Models:0"] = OpenAIGatewayFixture.Model,
        });

        var thrown = Should.Throw<OptionsValidationException>(() => app.Server);

        thrown.Message.ShouldContain("SomaAgent:Models:OpenAI:BaseUrl");
    }

    private async Task<JsonElement> RunAsync(string input, CancellationToken cancellationToken)
    {
        var id = await fixture.App.CreateSessionAsync(new { input, model = OpenAIGatewayFixture.Model }, cancellationToken);
        return await fixture.App.WaitForEndAsync(id, cancellationToken, timeout: TimeSpan.FromSeconds(10));
    }

    private static List<JsonElement> Events(JsonElement session) => [.. session.GetProperty("events").EnumerateArray()];
}
