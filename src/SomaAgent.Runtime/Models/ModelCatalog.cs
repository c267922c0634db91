using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace SomaAgent.Runtime.Models;

/// <summary>A model a session can name.</summary>
/// <param name="Id">The id sessions use.</param>
/// <param name="Provider"><c>builtin</c>, <c>llamasharp</c> for local GGUF models, or the configured provider name.</param>
/// <param name="Simulated">True for the built-in deterministic model: no real language model behind it.</param>
/// <param name="Description">What the model is.</param>
public sealed record ModelInfo(string Id, string Provider, bool Simulated, string Description);

/// <summary>A model and the client that runs it.</summary>
public sealed record ModelEntry(ModelInfo Info, IChatClient Client);

/// <summary>Models a provider adds to the catalog (the local GGUF models); registered by the hosts that run them.</summary>
public interface IModelSource
{
    IReadOnlyList<ModelEntry> Models { get; }
}

/// <summary>
/// The models of this deployment and the <see cref="IChatClient"/> behind each: the built-in simulated model,
/// the models of an OpenAI-compatible endpoint, and those of every registered <see cref="IModelSource"/>.
/// </summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, ModelEntry> _models = new(StringComparer.Ordinal);

    /// <param name="options">The model settings.</param>
    /// <param name="timeProvider">Clock of the simulated model.</param>
    /// <param name="sources">Further providers' models.</param>
    public ModelCatalog(IOptions<ModelOptions> options, TimeProvider timeProvider, IEnumerable<IModelSource>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;

        _models[SimulatedChatClient.ModelId] = new ModelEntry(
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
                _models[model] = new ModelEntry(
                    new ModelInfo(model, openAI.ProviderName, Simulated: false, $"{model} at an OpenAI-compatible endpoint."),
                    client.GetChatClient(model).AsIChatClient());
            }
        }

        foreach (var model in (sources ?? []).SelectMany(s => s.Models))
        {
            _models[model.Info.Id] = model;
        }

        DefaultModel = value.Default;
        All = [.. _models.Values.Select(m => m.Info).OrderBy(m => m.Id, StringComparer.Ordinal)];
    }

    public string DefaultModel { get; }

    public IReadOnlyList<ModelInfo> All { get; }

    public bool Contains(string id) => _models.ContainsKey(id);

    public IChatClient GetClient(string id) =>
        _models.TryGetValue(id, out var model) ? model.Client : throw new KeyNotFoundException($"Unknown model '{id}'.");
}
