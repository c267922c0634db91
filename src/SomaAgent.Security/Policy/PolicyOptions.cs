using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace SomaAgent.Security.Policy;

/// <summary>
/// Section <c>SomaAgent:Policy</c>, overridden by the flat names operators know: <c>OPA_URL</c>,
/// <c>POLICY_FAIL_OPEN</c>, <c>POLICY_TIMEOUT_MS</c>, <c>POLICY_DATA_PATH</c>.
/// </summary>
public sealed class PolicyOptions
{
    public const string SectionName = "SomaAgent:Policy";

    /// <summary>
    /// OPA's base address (<c>OPA_URL</c>), for example <c>http://opa:8181</c>. Optional. Set: every decision is
    /// asked of OPA (<c>POST {OpaUrl}/v1/data/somaagent/authz</c>). Unset: the built-in evaluator decides from
    /// <see cref="DataPath"/>.
    /// </summary>
    public string? OpaUrl { get; set; }

    /// <summary>
    /// Whether requests and tool calls go ahead when OPA cannot answer (<c>POLICY_FAIL_OPEN</c>). Default false:
    /// requests get 503 and tool calls an error result.
    /// </summary>
    public bool FailOpen { get; set; }

    /// <summary>How long one decision may take before OPA counts as unavailable (<c>POLICY_TIMEOUT_MS</c>). Default 500.</summary>
    public int TimeoutMilliseconds { get; set; } = 500;

    /// <summary>
    /// The policy data the built-in evaluator reads (<c>POLICY_DATA_PATH</c>). Optional; default the copy of
    /// <c>deploy/policies/data.json</c> built into the services. Read once, at start.
    /// </summary>
    public string? DataPath { get; set; }

    /// <summary>Whether decisions are asked of OPA.</summary>
    public bool UsesOpa => !string.IsNullOrWhiteSpace(OpaUrl);
}

/// <summary>Applies the flat environment names on top of the section.</summary>
internal sealed class PolicyOptionsSetup(IConfiguration configuration) : IPostConfigureOptions<PolicyOptions>
{
    public void PostConfigure(string? name, PolicyOptions options)
    {
        if (configuration["OPA_URL"] is { } url)
        {
            options.OpaUrl = url;
        }
        options.FailOpen = configuration.GetValue("POLICY_FAIL_OPEN", options.FailOpen);
        options.TimeoutMilliseconds = configuration.GetValue("POLICY_TIMEOUT_MS", options.TimeoutMilliseconds);
        options.DataPath = configuration["POLICY_DATA_PATH"] is { Length: > 0 } path ? path : options.DataPath;
    }
}

/// <summary>Refuses settings the policy layer cannot honour, all at once, naming the key and the fix.</summary>
internal sealed class PolicyOptionsValidator : IValidateOptions<PolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        var errors = new List<string>();
        if (options.OpaUrl is { Length: > 0 } url && (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            errors.Add($"OPA_URL ({PolicyOptions.SectionName}:OpaUrl) must be an absolute http or https address such as http://opa:8181; unset it to use the built-in policy.");
        }
        if (options.TimeoutMilliseconds is < 10 or > 60_000)
        {
            errors.Add($"POLICY_TIMEOUT_MS ({PolicyOptions.SectionName}:TimeoutMilliseconds) is {options.TimeoutMilliseconds}; give 10 to 60000 milliseconds (default 500).");
        }
        if (!options.UsesOpa && options.DataPath is { } path)
        {
            try
            {
                PolicyRuleSet.LoadFile(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                errors.Add($"POLICY_DATA_PATH ({PolicyOptions.SectionName}:DataPath) cannot be used: {ex.Message} Fix the file or unset the setting to use the shipped policy.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
