using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Models;

namespace SomaAgent.Models.Gguf;

/// <summary>
/// The <c>llamasharp</c> provider: one model per entry of <c>SomaAgent:Models:Gguf</c>. Owns the weights: they
/// load on first use and are freed when the source is disposed.
/// </summary>
public sealed class GgufModelSource : IModelSource, IDisposable
{
    private readonly List<GgufModel> _models = [];

    /// <param name="options">The model settings.</param>
    /// <param name="environment">Content root that relative GGUF paths resolve against; the working directory without it.</param>
    /// <param name="loggerFactory">Logs of the local models and of llama.cpp.</param>
    public GgufModelSource(IOptions<ModelOptions> options, IHostEnvironment? environment = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configured = options.Value.Gguf;
        loggerFactory ??= NullLoggerFactory.Instance;
        if (configured.Count > 0)
        {
            LlamaNativeLog.Attach(loggerFactory.CreateLogger("LLama.Native"));
        }
        var logger = loggerFactory.CreateLogger<LlamaChatClient>();
        var models = new List<ModelEntry>();
        foreach (var local in configured)
        {
            var model = new GgufModel(local, local.ResolvePath(environment?.ContentRootPath), logger);
            _models.Add(model);
            models.Add(new ModelEntry(
                new ModelInfo(local.Id, LlamaChatClient.ProviderName, Simulated: false,
                    local.Description ?? $"Local GGUF model {Path.GetFileName(model.Path)}, run on the CPU by llama.cpp through LLamaSharp."),
                new LlamaChatClient(model, logger)));
        }
        Models = models;
    }

    public IReadOnlyList<ModelEntry> Models { get; }

    public void Dispose()
    {
        foreach (var model in _models)
        {
            model.Dispose();
        }
    }
}
