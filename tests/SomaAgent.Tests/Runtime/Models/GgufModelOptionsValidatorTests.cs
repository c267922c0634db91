using Microsoft.Extensions.Hosting.Internal;
using SomaAgent.Runtime.Models;

namespace SomaAgent.Tests.Runtime.Models;

public sealed class GgufModelOptionsValidatorTests(TinyGgufFile tiny) : IClassFixture<TinyGgufFile>
{
    [Fact]
    public void A_gguf_model_can_be_the_default()
    {
        var options = new ModelOptions { Default = "tiny-gguf" };
        options.Gguf.Add(new GgufModelOptions { Id = "tiny-gguf", Path = tiny.Path });

        new ModelOptionsValidator().Validate(null, options).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public void A_relative_path_resolves_against_the_content_root()
    {
        var options = new ModelOptions();
        options.Gguf.Add(new GgufModelOptions { Id = "tiny-gguf", Path = Path.GetFileName(tiny.Path) });
        var validator = new ModelOptionsValidator(new HostingEnvironment { ContentRootPath = tiny.Folder });

        validator.Validate(null, options).Succeeded.ShouldBeTrue();
        options.Gguf[0].ResolvePath(tiny.Folder).ShouldBe(tiny.Path);
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_key_and_full_path()
    {
        var missing = Path.Combine(tiny.Folder, "missing.gguf");
        var options = new ModelOptions();
        options.Gguf.Add(new GgufModelOptions { Id = "gone", Path = missing });

        var result = new ModelOptionsValidator().Validate(null, options);

        result.FailureMessage.ShouldBe($"SomaAgent:Models:Gguf:0:Path: the file '{missing}' does not exist.");
    }

    [Fact]
    public void A_file_that_is_not_gguf_is_reported()
    {
        var text = Path.Combine(tiny.Folder, "notes.gguf");
        File.WriteAllText(text, "not a model");
        var options = new ModelOptions();
        options.Gguf.Add(new GgufModelOptions { Id = "notes", Path = text });

        var result = new ModelOptionsValidator().Validate(null, options);

        result.FailureMessage.ShouldBe($"SomaAgent:Models:Gguf:0:Path: the file '{text}' is not a GGUF file (it does not start with 'GGUF').");
    }

    [Fact]
    public void Every_problem_of_every_entry_is_reported_at_once()
    {
        var options = new ModelOptions();
        options.Gguf.Add(new GgufModelOptions { Id = SimulatedChatClient.ModelId, Path = tiny.Path, ContextSize = 8, Threads = -1, MaxTokens = 0 });
        options.Gguf.Add(new GgufModelOptions { Id = "", Path = "", Temperature = 3, MaxConcurrentRequests = 0 });

        var result = new ModelOptionsValidator().Validate(null, options);

        result.Failures.ShouldBe(
        [
            "SomaAgent:Models:Gguf:0:Id 'soma-simulated-1' is already served by another model entry; model ids must be unique.",
            "SomaAgent:Models:Gguf:0:ContextSize must be 0 (the model's own) or between 16 and 1048576 tokens, got 8.",
            "SomaAgent:Models:Gguf:0:Threads must be between 0 (llama.cpp's choice) and 1024, got -1.",
            "SomaAgent:Models:Gguf:0:MaxTokens must be at least 1, got 0.",
            "SomaAgent:Models:Gguf:1:Id is required: the model id sessions name.",
            "SomaAgent:Models:Gguf:1:Path is required: the path of the .gguf file.",
            "SomaAgent:Models:Gguf:1:Temperature must be between 0 and 2, got 3.",
            "SomaAgent:Models:Gguf:1:MaxConcurrentRequests must be between 1 and 64, got 0.",
        ]);
    }
}
