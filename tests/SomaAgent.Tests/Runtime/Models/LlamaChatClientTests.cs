using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using SomaAgent.Models.Gguf;
using SomaAgent.Runtime.Models;

namespace SomaAgent.Tests.Runtime.Models;

/// <summary>The llamasharp provider over the tiny GGUF model the tests write: structure, not content (its text is gibberish).</summary>
public sealed class LlamaChatClientTests(TinyGgufFile tiny) : IClassFixture<TinyGgufFile>, IDisposable
{
    private const string Model = "tiny-gguf";
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "Hello there")];
    private readonly List<GgufModelSource> _sources = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_model_is_listed_as_a_real_llamasharp_model_next_to_the_builtin()
    {
        var catalog = Catalog();

        var info = catalog.All.Single(m => m.Id == Model);
        info.Provider.ShouldBe("llamasharp");
        info.Simulated.ShouldBeFalse();
        info.Description.ShouldContain("tiny.gguf");
        catalog.All.Select(m => m.Id).ShouldBe([SimulatedChatClient.ModelId, Model]);
        catalog.GetClient(Model).GetService<ChatClientMetadata>()!.ProviderName.ShouldBe("llamasharp");
    }

    [Fact]
    public async Task A_reply_streams_token_by_token_up_to_the_requested_limit()
    {
        var updates = await Catalog().GetClient(Model)
            .GetStreamingResponseAsync(Hello, new ChatOptions { MaxOutputTokens = 12 }, Ct).ToListAsync(Ct);

        // The tiny model only writes letters and spaces, one byte token each, so every token is one update.
        updates.Count(u => u.Text.Length > 0).ShouldBe(12);
        string.Concat(updates.Select(u => u.Text)).Length.ShouldBe(12);
        updates.Last().FinishReason.ShouldBe(ChatFinishReason.Length);
        updates.ShouldAllBe(u => u.ModelId == Model && u.ResponseId == updates[0].ResponseId);
    }

    [Fact]
    public async Task Without_a_requested_limit_the_configured_max_tokens_applies()
    {
        var response = await Catalog(maxTokens: 7).GetClient(Model).GetResponseAsync(Hello, cancellationToken: Ct);

        response.Text.Length.ShouldBe(7);
        response.Usage!.OutputTokenCount.ShouldBe(7);
    }

    [Fact]
    public async Task Usage_counts_prompt_and_reply_tokens()
    {
        var client = Catalog().GetClient(Model);
        var options = new ChatOptions { MaxOutputTokens = 5 };

        var shortPrompt = (await client.GetResponseAsync(Hello, options, Ct)).Usage!;
        var longPrompt = (await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello there,some-more-bytes")], options, Ct)).Usage!;

        shortPrompt.OutputTokenCount.ShouldBe(5);
        shortPrompt.TotalTokenCount.ShouldBe(shortPrompt.InputTokenCount + 5);
        // The vocabulary is byte-level: the chat template's markup plus one token per byte of the text.
        shortPrompt.InputTokenCount.ShouldNotBeNull().ShouldBeGreaterThan("Hello there".Length);
        (longPrompt.InputTokenCount - shortPrompt.InputTokenCount).ShouldBe(",some-more-bytes".Length);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_reply_and_sampling_settings_apply()
    {
        var client = Catalog().GetClient(Model);
        ChatOptions Seeded(long seed) => new() { MaxOutputTokens = 24, Seed = seed, Temperature = 1.5f, TopK = 50, TopP = 1 };

        var first = await client.GetResponseAsync(Hello, Seeded(11), Ct);
        var again = await client.GetResponseAsync(Hello, Seeded(11), Ct);
        var other = await client.GetResponseAsync(Hello, Seeded(12), Ct);

        again.Text.ShouldBe(first.Text);
        other.Text.ShouldNotBe(first.Text);
    }

    [Fact]
    public async Task Cancelling_stops_the_stream_and_frees_the_model_for_the_next_request()
    {
        var client = Catalog().GetClient(Model);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var received = 0;

        await Should.ThrowAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(Hello, new ChatOptions { MaxOutputTokens = 100 }, cancel.Token))
            {
                if (++received == 3)
                {
                    await cancel.CancelAsync();
                }
            }
        });

        received.ShouldBe(3);
        // MaxConcurrentRequests is 1: a slot left taken would make this wait forever.
        var next = await client.GetResponseAsync(Hello, new ChatOptions { MaxOutputTokens = 2 }, Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        next.Usage!.OutputTokenCount.ShouldBe(2);
    }

    [Fact]
    public async Task Concurrent_sessions_share_one_loaded_model()
    {
        var client = Catalog(maxConcurrentRequests: 2).GetClient(Model);

        var replies = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            client.GetResponseAsync([new ChatMessage(ChatRole.User, $"request {i}")], new ChatOptions { MaxOutputTokens = 10 }, Ct)));

        replies.ShouldAllBe(r => r.Usage!.OutputTokenCount == 10 && r.Text.Length == 10);
    }

    [Fact]
    public async Task A_conversation_longer_than_the_context_fails_naming_the_model()
    {
        var client = Catalog(contextSize: 16).GetClient(Model);

        var thrown = await Should.ThrowAsync<InvalidOperationException>(
            client.GetResponseAsync([new ChatMessage(ChatRole.User, new string('a', 2000))], cancellationToken: Ct));

        thrown.Message.ShouldContain($"model '{Model}' has a context of");
    }

    [Fact]
    public async Task A_file_llama_cpp_rejects_fails_the_request_naming_model_and_path()
    {
        var broken = Path.Combine(tiny.Folder, "broken.gguf");
        await File.WriteAllBytesAsync(broken, [.. "GGUF"u8, 3, 0, 0, 0, 1, 2, 3], Ct);

        var thrown = await Should.ThrowAsync<InvalidOperationException>(
            Catalog(path: broken).GetClient(Model).GetResponseAsync(Hello, cancellationToken: Ct));

        thrown.Message.ShouldBe($"Model '{Model}' could not be loaded from '{broken}': llama.cpp rejected the file.");
    }

    [Fact]
    public void Without_a_chat_template_the_conversation_is_formatted_as_chatml()
    {
        ChatMessage[] history =
        [
            new(ChatRole.System, "Be brief."),
            new(ChatRole.User, "Hi"),
            new(ChatRole.Assistant, "Hello"),
            new(ChatRole.Tool, [new FunctionResultContent("call-1", "ignored")]),
            new(ChatRole.User, "Bye"),
        ];

        var prompt = LlamaChatClient.FormatPrompt(GgufModel.FallbackTemplate, history, instructions: "Answer in English.");

        prompt.ShouldBe(
            "<|im_start|>system\nAnswer in English.<|im_end|>\n<|im_start|>system\nBe brief.<|im_end|>\n" +
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
    }

    [Theory]
    [InlineData("{% for m in messages %}<start_of_turn>{{ m.role }}\n{{ m.content }}<end_of_turn>\n{% endfor %}", true)]
    [InlineData("{{ no template family llama.cpp knows }}", false)]
    public async Task The_files_own_chat_template_is_used_when_llama_cpp_knows_it(string template, bool own)
    {
        var path = TinyGgufWriter.Write(Path.Combine(tiny.Folder, $"templated-{own}.gguf"), chatTemplate: template);
        using var model = new GgufModel(new GgufModelOptions { Id = Model, Path = path }, path, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        var loaded = await model.LoadAsync(Ct);

        loaded.ChatTemplate.ShouldBe(own ? template : GgufModel.FallbackTemplate);
    }

    public void Dispose()
    {
        foreach (var source in _sources)
        {
            source.Dispose();
        }
    }

    private ModelCatalog Catalog(int maxTokens = 512, int contextSize = 256, int maxConcurrentRequests = 1, string? path = null)
    {
        var options = new ModelOptions();
        options.Gguf.Add(new GgufModelOptions
        {
            Id = Model,
            Path = path ?? tiny.Path,
            MaxTokens = maxTokens,
            ContextSize = contextSize,
            Threads = 1,
            MaxConcurrentRequests = maxConcurrentRequests,
        });
        var source = new GgufModelSource(Options.Create(options));
        _sources.Add(source);
        return new ModelCatalog(Options.Create(options), TimeProvider.System, [source]);
    }
}
