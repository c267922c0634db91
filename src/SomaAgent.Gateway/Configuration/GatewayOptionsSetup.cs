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
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        if (options.RequireAuth)
        {
            errors.Add("GATEWAY_REQUIRE_AUTH=true asks for authentication, which this build does not have yet (it arrives with the security issue). "
                + "Set GATEWAY_REQUIRE_AUTH=false and keep the gateway on a trusted network until then.");
        }
        if (!options.HostWorkers && configuration.KafkaBootstrapServers() is null)
        {
            errors.Add($"{GatewayOptions.SectionName}:HostWorkers=false needs a bus shared with a Workers service (ConnectionStrings:kafka); "
                + "with the in-memory bus no turn would ever run. Set ConnectionStrings:kafka or remove the setting.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
