using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenAI;
using SomaAgent.Runtime.Models.Gguf;

namespace SomaAgent.Runtime.Models;

/// <summary>A model a session can name.</summary>
/// <param name="Id">The id sessions use.</param>
/// <param name="Provider"><c>builtin</c>, <c>llamasharp</c> for local GGUF models, or the configured provider name.</param>
/// <param name="Simulated">True for the built-in deterministic model: no real language model behind it.</param>
/// <param name="Description">What the model is.</param>
public sealed record ModelInfo(string Id, string Provider, bool Simulated, string Description);

/// <summary>
/// The models of this deployment and the <see cref="IChatClient"/> behind each. Owns the local GGUF models: their
/// weights load on first use and are freed when the catalog is disposed.
/// </summary>
public sealed class ModelCatalog : IDisposable
{
    private readonly Dictionary<string, (ModelInfo Info, IChatClient Client)> _models = new(StringComparer.Ordinal);
    private readonly List<GgufModel> _localModels = [];

    /// <param name="options">The model settings.</param>
    /// <param name="timeProvider">Clock of the simulated model.</param>
    /// <param name="environment">Content root that relative GGUF paths resolve against; the working directory without it.</param>
    /// <param name="loggerFactory">Logs of the local models and of llama.cpp.</param>
    public ModelCatalog(IOptions<ModelOptions> options, TimeProvider timeProvider, IHostEnvironment? environment = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        loggerFactory ??= NullLoggerFactory.Instance;

        _models[SimulatedChatClient.ModelId] = (
            new ModelInfo(SimulatedChatClient.ModelId, "builtin", Simulated: true,
                "Built-in deterministic model (simulated, not a language model): it calls tools and answers by documented rules."),
            new SimulatedChatClient(value.Simulated, timeProvider));

        var openAI = value.OpenAI;
        if (!string.IsNullOrWhiteSpace(openAI.BaseUrl))
        {
            var client = new OpenAIClient(
                new ApiKeyCredential(string.IsNullOrEmpty(openAI.ApiKey) ? "unused" : openAI.ApiKey),
                new OpenAIClientOptions { Endpoint = new Uri(openAI.BaseUrl) });
            foreach (var model in openAI.Models)
            {
                _models[model] = (
                    new ModelInfo(model, openAI.ProviderName, Simulated: false, $"{model} at an OpenAI-compatible endpoint."),
                    client.GetChatClient(model).AsIChatClient());
            }
        }

        if (value.Gguf.Count > 0)
        {
            LlamaNativeLog.Attach(loggerFactory.CreateLogger("LLama.Native"));
        }
        var localLogger = loggerFactory.CreateLogger<LlamaChatClient>();
        foreach (var local in value.Gguf)
        {
            var model = new GgufModel(local, local.ResolvePath(environment?.ContentRootPath), localLogger);
            _localModels.Add(model);
            _models[local.Id] = (
                new ModelInfo(local.Id, LlamaChatClient.ProviderName, Simulated: false,
                    local.Description ?? $"Local GGUF model {Path.GetFileName(model.Path)}, run on the CPU by llama.cpp through LLamaSharp."),
                new LlamaChatClient(model, localLogger));
        }

        DefaultModel = value.Default;
        All = [.. _models.Values.Select(m => m.Info).OrderBy(m => m.Id, StringComparer.Ordinal)];
    }

    public string DefaultModel { get; }

    public IReadOnlyList<ModelInfo> All { get; }

    public bool Contains(string id) => _models.ContainsKey(id);

    public IChatClient GetClient(string id) =>
        _models.TryGetValue(id, out var model) ? model.Client : throw new KeyNotFoundException($"Unknown model '{id}'.");

    public void Dispose()
    {
        foreach (var model in _localModels)
        {
            model.Dispose();
        }
    }
}
