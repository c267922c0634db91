using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace SomaAgent.Runtime.Models;

/// <summary>A model a session can name.</summary>
/// <param name="Id">The id sessions use.</param>
/// <param name="Provider"><c>builtin</c> or the configured provider name.</param>
/// <param name="Simulated">True for the built-in deterministic model: no real language model behind it.</param>
/// <param name="Description">What the model is.</param>
public sealed record ModelInfo(string Id, string Provider, bool Simulated, string Description);

/// <summary>The models of this deployment and the <see cref="IChatClient"/> behind each.</summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, (ModelInfo Info, IChatClient Client)> _models = new(StringComparer.Ordinal);

    public ModelCatalog(IOptions<ModelOptions> options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;

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

        DefaultModel = value.Default;
        All = [.. _models.Values.Select(m => m.Info).OrderBy(m => m.Id, StringComparer.Ordinal)];
    }

    public string DefaultModel { get; }

    public IReadOnlyList<ModelInfo> All { get; }

    public bool Contains(string id) => _models.ContainsKey(id);

    public IChatClient GetClient(string id) =>
        _models.TryGetValue(id, out var model) ? model.Client : throw new KeyNotFoundException($"Unknown model '{id}'.");
}
