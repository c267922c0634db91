using System.ComponentModel.DataAnnotations;

namespace SomaAgent.Gateway.Configuration;

/// <summary>
/// The gateway's settings: section <c>SomaAgent:Gateway</c>, overridden by the flat names operators know
/// (<c>GATEWAY_PORT</c>, <c>GATEWAY_REQUIRE_AUTH</c>, <c>POLICY_FAIL_OPEN</c>, <c>GATEWAY_MAX_BODY_BYTES</c>).
/// </summary>
public sealed class GatewayOptions
{
    public const string SectionName = "SomaAgent:Gateway";

    /// <summary>TCP port the gateway listens on (<c>GATEWAY_PORT</c>). Default 8010.</summary>
    [Range(1, 65535)]
    public int Port { get; set; } = 8010;

    /// <summary>
    /// Whether every /v1 route except <c>/v1/health</c> needs an API key (<c>GATEWAY_REQUIRE_AUTH</c>). Default
    /// true; false makes every request the anonymous principal of <see cref="DefaultTenant"/>, for a trusted network only.
    /// </summary>
    public bool RequireAuth { get; set; } = true;

    /// <summary>
    /// Whether requests pass when the policy engine cannot answer (<c>POLICY_FAIL_OPEN</c>). Default false. True
    /// also sets <c>SomaAgent:Policy:FailOpen</c>, which the gateway's policy step and in-process tool executor read.
    /// </summary>
    public bool PolicyFailOpen { get; set; }

    /// <summary>Largest accepted request body in bytes (<c>GATEWAY_MAX_BODY_BYTES</c>). Default 1 MiB.</summary>
    [Range(1024, 64L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Tenant of the bootstrap key, and the tenant every request acts for while authentication is off. Default <c>default</c>.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{0,62}$")]
    public string DefaultTenant { get; set; } = "default";

    /// <summary>
    /// Seconds of silence after which an event stream sends a keep-alive comment and re-checks the store.
    /// Default 5.
    /// </summary>
    [Range(1, 300)]
    public int StreamIdleSeconds { get; set; } = 5;

    /// <summary>
    /// Whether this gateway runs the conversation worker and tool executor in-process. Default true. False
    /// (the containers topology) leaves them to the Workers service and needs the Kafka bus.
    /// </summary>
    public bool HostWorkers { get; set; } = true;
}
