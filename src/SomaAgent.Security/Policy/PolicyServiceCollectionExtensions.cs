using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SomaAgent.Security.Policy;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The policy decider every service asks before a request or a tool call goes ahead.</summary>
public static class PolicyServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IPolicyDecider"/>: OPA when <c>OPA_URL</c> is set, else the built-in evaluator over
    /// the policy data. Idempotent.
    /// </summary>
    public static IServiceCollection AddSomaAgentPolicy(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(IPolicyDecider)))
        {
            return services;
        }
        services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<PolicyOptions>, PolicyOptionsSetup>();
        services.AddSingleton<IValidateOptions<PolicyOptions>, PolicyOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);

        var opa = services.AddHttpClient(OpaPolicyDecider.ClientName, (sp, client) =>
        {
            var url = sp.GetRequiredService<IOptions<PolicyOptions>>().Value.OpaUrl?.Trim() ?? "http://opa.invalid";
            client.BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/");
            // The decider bounds each call itself (POLICY_TIMEOUT_MS).
            client.Timeout = Timeout.InfiniteTimeSpan;
        });
        // One attempt, one deadline (PolicyTests check that a failing OPA is asked once).
        opa.WithSingleAttempt();
        services.TryAddSingleton<OpaPolicyDecider>();
        services.TryAddSingleton<BuiltInPolicyDecider>();
        services.TryAddSingleton<IPolicyDecider>(sp => sp.GetRequiredService<IOptions<PolicyOptions>>().Value.UsesOpa
            ? sp.GetRequiredService<OpaPolicyDecider>()
            : sp.GetRequiredService<BuiltInPolicyDecider>());
        return services;
    }
}
