using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Models;
using SomaAgent.Runtime.Tools.BuiltIn;

namespace SomaAgent.Tests.Runtime.Models;

public sealed class ModelCatalogTests(FakeOpenAIServer openAI) : IClassFixture<FakeOpenAIServer>
{
    private static readonly ChatOptions Calculator = new() { Tools = [BuiltInTools.Create().Single(t => t.Name == BuiltInTools.Calculator).Function] };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Without_a_base_url_only_the_simulated_model_is_offered()
    {
        var catalog = new ModelCatalog(Options.Create(new ModelOptions()), TimeProvider.System);

        catalog.All.ShouldHaveSingleItem().ShouldBe(new ModelInfo(SimulatedChatClient.ModelId, "builtin", true, catalog.All[0].Description));
        catalog.DefaultModel.ShouldBe(SimulatedChatClient.ModelId);
        catalog.GetClient(SimulatedChatClient.ModelId).ShouldBeOfType<SimulatedChatClient>();
    }

    [Fact]
    public void Configured_models_are_listed_with_their_provider_next_to_the_builtin_sorted_by_id()
    {
        var catalog = Catalog("zeta-model", "alpha-model");

        catalog.All.Select(m => (m.Id, m.Provider, m.Simulated)).ShouldBe(
        [
            ("alpha-model", "openai", false),
            (SimulatedChatClient.ModelId, "builtin", true),
            ("zeta-model", "openai", false),
        ]);
        catalog.Contains("alpha-model").ShouldBeTrue();
    }

    [Fact]
    public void An_unknown_model_id_is_refused_by_name()
    {
        var catalog = Catalog("fake-gpt");

        catalog.Contains("gpt-nope").ShouldBeFalse();
        Should.Throw<KeyNotFoundException>(() => catalog.GetClient("gpt-nope")).Message.ShouldBe("Unknown model 'gpt-nope'.");
    }

    [Fact]
    public async Task A_configured_model_answers_a_non_streaming_request_with_the_endpoint_tool_call()
    {
        var client = Catalog("fake-gpt").GetClient("fake-gpt");

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "compute 6*7 once")], Calculator, Ct);

        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ShouldHaveSingleItem();
        call.Name.ShouldBe(BuiltInTools.Calculator);
        call.Arguments!["expression"]!.ToString().ShouldBe("6*7");
        response.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        response.ModelId.ShouldBe("fake-gpt");
        response.Usage!.TotalTokenCount.ShouldNotBeNull().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_configured_model_streams_text_and_reports_usage()
    {
        var client = Catalog("fake-gpt").GetClient("fake-gpt");

        var updates = await client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "say something")], new ChatOptions(), Ct).ToListAsync(Ct);

        updates.Count(u => u.Text.Length > 0).ShouldBeGreaterThan(1);
        string.Concat(updates.Select(u => u.Text)).ShouldBe("Echo: say something");
        updates.SelectMany(u => u.Contents).OfType<UsageContent>().ShouldHaveSingleItem().Details.TotalTokenCount.ShouldNotBeNull().ShouldBeGreaterThan(0);
        updates.Select(u => u.FinishReason).ShouldContain(ChatFinishReason.Stop);
    }

    [Fact]
    public async Task The_api_key_travels_as_a_bearer_token()
    {
        var options = new ModelOptions { OpenAI = { BaseUrl = openAI.BaseUrl.ToString(), ApiKey = "sk-someone-else" } };
        options.OpenAI.Models.Add("fake-gpt");
        var client = new ModelCatalog(Options.Create(options), TimeProvider.System).GetClient("fake-gpt");

        var thrown = await Should.ThrowAsync<System.ClientModel.ClientResultException>(
            client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")], cancellationToken: Ct));

        thrown.Status.ShouldBe(401);
    }

    private ModelCatalog Catalog(params string[] models)
    {
        var options = new ModelOptions { OpenAI = { BaseUrl = openAI.BaseUrl.ToString(), ApiKey = openAI.ApiKey } };
        foreach (var model in models)
        {
            options.OpenAI.Models.Add(model);
        }
        return new ModelCatalog(Options.Create(options), TimeProvider.System);
    }
}
