using Microsoft.Extensions.Options;

namespace SomaAgent.Gateway.Configuration;

/// <summary>Applies the flat environment names on top of the <c>SomaAgent:Gateway</c> section.</summary>
internal sealed class GatewayOptionsSetup(IConfiguration configuration) : IPostConfigureOptions<GatewayOptions>
{
    public void PostConfigure(string? name, GatewayOptions options)
    {
        options.Port = configuration.GetValue("GATEWAY_PORT", options.Port);
        options.RequireAuth = configuration.GetValue("GATEWAY_REQUIRE_AUTH", options.RequireAuth);
        options.PolicyFailOpen = configuration.GetValue("POLICY_FAIL_OPEN", options.PolicyFailOpen);
        options.MaxRequestBodyBytes = configuration.GetValue("GATEWAY_MAX_BODY_BYTES", options.MaxRequestBodyBytes);
    }
}

/// <summary>Refuses settings this build cannot honour, naming the key and the fix.</summary>
internal sealed class GatewayOptionsValidator(IConfiguration configuration) : IValidateOptions<GatewayOptions>
{
    /// <summary>The platform-admin key's secret, an environment name operators and the AppHost set.</summary>
    public const string BootstrapKeyName = "SOMAAGENT_BOOTSTRAP_KEY";

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        if (configuration[BootstrapKeyName] is { Length: > 0 } bootstrap && SomaAgent.Security.Keys.ApiKeySecret.PrefixOf(bootstrap.Trim()) is null)
        {
            errors.Add($"{BootstrapKeyName} must be at least {SomaAgent.Security.Keys.ApiKeySecret.MinimumLength} characters of printable ASCII without spaces (it is the platform-admin key's secret); "
                + "generate one with `openssl rand -base64 32`, or unset it to have the first embedded start generate a key.");
        }
        if (!options.HostWorkers && configuration.KafkaBootstrapServers() is null)
        {
            errors.Add($"{GatewayOptions.SectionName}:HostWorkers=false needs a bus shared with a Workers service (ConnectionStrings:kafka); "
                + "with the in-memory bus no turn would ever run. Set ConnectionStrings:kafka or remove the setting.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
