using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Transformers;
using Microsoft.Extensions.Logging;
using SomaAgent.Runtime.Models;

namespace SomaAgent.Models.Gguf;

/// <summary>
/// One configured GGUF file: its weights, loaded once on first use and shared by every session, and the gate that
/// bounds how many requests run on it at once. The weights are read-only after loading, so requests share them
/// safely; everything a request mutates (context, KV cache, batch, sampler) is its own (<see cref="LlamaChatClient"/>).
/// </summary>
internal sealed partial class GgufModel : IDisposable
{
    /// <summary>llama.cpp's built-in template used when the file has no chat template, or one llama.cpp cannot apply.</summary>
    public const string FallbackTemplate = "chatml";

    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly ILogger _logger;
    private Loaded? _loaded;
    private bool _disposed;

    public GgufModel(GgufModelOptions options, string path, ILogger logger)
    {
        Options = options;
        Path = path;
        _logger = logger;
        Slots = new SemaphoreSlim(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
        Parameters = new ModelParams(path)
        {
            ContextSize = options.ContextSize == 0 ? null : (uint)options.ContextSize,
            Threads = options.Threads == 0 ? null : options.Threads,
            GpuLayerCount = 0,
        };
    }

    public GgufModelOptions Options { get; }

    /// <summary>Absolute path of the file.</summary>
    public string Path { get; }

    /// <summary>Model and context parameters: every request creates its context from these.</summary>
    public ModelParams Parameters { get; }

    /// <summary>One slot per request allowed to run at once.</summary>
    public SemaphoreSlim Slots { get; }

    /// <summary>The weights and the chat template to format prompts with, loading the file on first use.</summary>
    public async ValueTask<Loaded> LoadAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _loaded) is { } loaded)
        {
            return loaded;
        }
        await _loading.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loaded is null)
            {
                var started = Stopwatch.GetTimestamp();
                LLamaWeights weights;
                try
                {
                    weights = await LLamaWeights.LoadFromFileAsync(Parameters, cancellationToken);
                }
                catch (LoadWeightsFailedException ex)
                {
                    LogLoadFailed(Options.Id, Path, ex);
                    throw new InvalidOperationException($"Model '{Options.Id}' could not be loaded from '{Path}': llama.cpp rejected the file.", ex);
                }
                var (template, own) = ChooseTemplate(weights);
                Volatile.Write(ref _loaded, new Loaded(weights, template));
                var elapsed = Stopwatch.GetElapsedTime(started);
                LogLoaded(Options.Id, Path, weights.ParameterCount, weights.ContextSize, own ? "its own" : FallbackTemplate, elapsed);
            }
            return _loaded;
        }
        finally
        {
            _loading.Release();
        }
    }

    public void Dispose()
    {
        _loading.Wait();
        try
        {
            _disposed = true;
            _loaded?.Weights.Dispose();
            _loaded = null;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>
    /// The file's own chat template when llama.cpp can apply it (it recognises the common families, not arbitrary
    /// Jinja), otherwise ChatML: a model without a usable template still gets a well-formed conversation.
    /// </summary>
    private static (string Template, bool Own) ChooseTemplate(LLamaWeights weights)
    {
        if (weights.NativeHandle.GetTemplate(null, strict: false) is { Length: > 0 } own)
        {
            try
            {
                var probe = new LLamaTemplate(own) { AddAssistant = true };
                probe.Add("user", "hello");
                _ = PromptTemplateTransformer.ToModelPrompt(probe);
                return (own, true);
            }
            catch (MissingTemplateException)
            {
                // Falls through to the fallback below.
            }
        }
        return (FallbackTemplate, false);
    }

    /// <summary>Loaded weights plus the template chosen for them.</summary>
    internal sealed record Loaded(LLamaWeights Weights, string ChatTemplate);

    [LoggerMessage(EventId = 2300, Level = LogLevel.Information,
        Message = "Loaded GGUF model {ModelId} from {Path}: {Parameters} parameters, trained context {TrainedContext}, chat template {Template}, in {Elapsed}")]
    private partial void LogLoaded(string modelId, string path, ulong parameters, int trainedContext, string template, TimeSpan elapsed);

    [LoggerMessage(EventId = 2301, Level = LogLevel.Error, Message = "GGUF model {ModelId} failed to load from {Path}")]
    private partial void LogLoadFailed(string modelId, string path, Exception exception);
}
