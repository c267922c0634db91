using System.ComponentModel.DataAnnotations;

namespace SomaAgent.Security.Access;

/// <summary>
/// Section <c>SomaAgent:OpenFga</c>. <c>OPENFGA_URL</c> selects OpenFGA for access checks (the containers
/// topology); without it the embedded checker reads the tenant columns of the store.
/// </summary>
public sealed class OpenFgaOptions
{
    public const string SectionName = "SomaAgent:OpenFga";

    /// <summary>The OpenFGA HTTP API (<c>OPENFGA_URL</c>), e.g. <c>http://openfga:8080</c>.</summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// The store to use (<c>OPENFGA_STORE_ID</c>). When empty, the store named <see cref="StoreName"/> is
    /// found or created at first use and the model in <c>deploy/openfga/model.json</c> is written to it.
    /// </summary>
    public string? StoreId { get; set; }

    [Required]
    public string StoreName { get; set; } = "somaagent";

    /// <summary>The authorization model to check against (<c>OPENFGA_MODEL_ID</c>); default the one written at start-up.</summary>
    public string? AuthorizationModelId { get; set; }

    /// <summary>How long one OpenFGA call may take before the request is refused with 503. Default 2000 ms.</summary>
    [Range(50, 60_000)]
    public int TimeoutMilliseconds { get; set; } = 2000;
}
