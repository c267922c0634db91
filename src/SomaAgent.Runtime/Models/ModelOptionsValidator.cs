using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SomaAgent.Runtime.Models;

/// <summary>Checks the model settings together and reports every problem at once.</summary>
/// <param name="environment">Content root that relative GGUF paths resolve against; the working directory without it.</param>
internal sealed class ModelOptionsValidator(IHostEnvironment? environment = null) : IValidateOptions<ModelOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelOptions options)
    {
        var errors = new List<string>();
        var openAI = options.OpenAI;
        var configured = new HashSet<string>(StringComparer.Ordinal) { SimulatedChatClient.ModelId };
        if (!string.IsNullOrWhiteSpace(openAI.BaseUrl))
        {
            if (!Uri.TryCreate(openAI.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                errors.Add($"{ModelOptions.SectionName}:OpenAI:BaseUrl must be an absolute http(s) URL, got '{openAI.BaseUrl}'.");
            }
            if (openAI.Models.Count == 0)
            {
                errors.Add($"{ModelOptions.SectionName}:OpenAI:Models must list at least one model id when BaseUrl is set.");
            }
            configured.UnionWith(openAI.Models);
        }
        for (var i = 0; i < options.Gguf.Count; i++)
        {
            ValidateGguf($"{ModelOptions.SectionName}:Gguf:{i}", options.Gguf[i], configured, errors);
        }
        if (!configured.Contains(options.Default))
        {
            errors.Add($"{ModelOptions.SectionName}:Default is '{options.Default}', which no provider serves; use one of: {string.Join(", ", configured)}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void ValidateGguf(string key, GgufModelOptions model, HashSet<string> configured, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(model.Id))
        {
            errors.Add($"{key}:Id is required: the model id sessions name.");
        }
        else if (!configured.Add(model.Id))
        {
            errors.Add($"{key}:Id '{model.Id}' is already served by another model entry; model ids must be unique.");
        }

        if (string.IsNullOrWhiteSpace(model.Path))
        {
            errors.Add($"{key}:Path is required: the path of the .gguf file.");
        }
        else if (GgufFileProblem(model.ResolvePath(environment?.ContentRootPath)) is { } problem)
        {
            errors.Add($"{key}:Path: {problem}");
        }

        if (model.ContextSize is not 0 and (< 16 or > 1_048_576))
        {
            errors.Add($"{key}:ContextSize must be 0 (the model's own) or between 16 and 1048576 tokens, got {model.ContextSize}.");
        }
        if (model.Threads is < 0 or > 1024)
        {
            errors.Add($"{key}:Threads must be between 0 (llama.cpp's choice) and 1024, got {model.Threads}.");
        }
        if (model.MaxTokens < 1)
        {
            errors.Add($"{key}:MaxTokens must be at least 1, got {model.MaxTokens}.");
        }
        if (!(model.Temperature is >= 0 and <= 2))
        {
            errors.Add($"{key}:Temperature must be between 0 and 2, got {model.Temperature}.");
        }
        if (model.MaxConcurrentRequests is < 1 or > 64)
        {
            errors.Add($"{key}:MaxConcurrentRequests must be between 1 and 64, got {model.MaxConcurrentRequests}.");
        }
    }

    /// <summary>Why the file cannot be a GGUF model, or null. Only the 4-byte magic is read: loading waits for first use.</summary>
    private static string? GgufFileProblem(string path)
    {
        if (!File.Exists(path))
        {
            return $"the file '{path}' does not exist.";
        }
        Span<byte> magic = stackalloc byte[4];
        try
        {
            using var file = File.OpenRead(path);
            if (file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < magic.Length || !magic.SequenceEqual("GGUF"u8))
            {
                return $"the file '{path}' is not a GGUF file (it does not start with 'GGUF').";
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"the file '{path}' cannot be read: {ex.Message}";
        }
        return null;
    }
}
