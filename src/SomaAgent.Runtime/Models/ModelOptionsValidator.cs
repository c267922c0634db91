using Microsoft.Extensions.Options;

namespace SomaAgent.Runtime.Models;

/// <summary>Checks the model settings together and reports every problem at once.</summary>
internal sealed class ModelOptionsValidator : IValidateOptions<ModelOptions>
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
        if (!configured.Contains(options.Default))
        {
            errors.Add($"{ModelOptions.SectionName}:Default is '{options.Default}', which no provider serves; use one of: {string.Join(", ", configured)}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
