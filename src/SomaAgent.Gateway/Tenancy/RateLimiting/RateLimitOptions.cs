using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace SomaAgent.Gateway.Tenancy.RateLimiting;

/// <summary>
/// Request rates and quotas (section <c>SomaAgent:RateLimits</c>), enforced across every gateway replica through
/// Redis when <c>ConnectionStrings:redis</c> is set, in this process otherwise. The flat names
/// <c>RATE_LIMIT_KEY_PER_MINUTE</c>, <c>RATE_LIMIT_TENANT_PER_MINUTE</c> and <c>QUOTA_CONCURRENT_SESSIONS</c>
/// override the section. The defaults are far above what one benchmark client fleet sends, so only a
/// deliberate setting ever refuses a request.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "SomaAgent:RateLimits";

    /// <summary>Requests one API key (or token subject) may make on <c>/v1</c> per minute (<c>RATE_LIMIT_KEY_PER_MINUTE</c>). Default 120000.</summary>
    [Range(1, 100_000_000)]
    public int KeyRequestsPerMinute { get; set; } = 120_000;

    /// <summary>Requests all keys of one tenant may make on <c>/v1</c> per minute (<c>RATE_LIMIT_TENANT_PER_MINUTE</c>). Default 240000.</summary>
    [Range(1, 100_000_000)]
    public int TenantRequestsPerMinute { get; set; } = 240_000;

    /// <summary>Sessions of one tenant whose latest turn may be queued or running at once (<c>QUOTA_CONCURRENT_SESSIONS</c>). Default 1000.</summary>
    [Range(1, 1_000_000)]
    public int ConcurrentSessions { get; set; } = 1000;

    /// <summary>
    /// Longest a turn holds its concurrent-session slot when no gateway saw it end (every gateway down at that
    /// moment). Default 3600 s. A refused start also frees, at once, the slots of turns the store shows ended.
    /// </summary>
    [Range(60, 86_400)]
    public int SessionSlotLeaseSeconds { get; set; } = 3600;

    /// <summary>Per-tenant overrides by tenant id (<c>SomaAgent:RateLimits:Tenants:{id}:…</c>). Optional.</summary>
    public Dictionary<string, TenantRateLimits> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The limits that apply to <paramref name="tenantId"/>: its overrides, else the defaults.</summary>
    public EffectiveLimits For(string tenantId)
    {
        var own = Tenants.GetValueOrDefault(tenantId);
        return new(
            own?.KeyRequestsPerMinute ?? KeyRequestsPerMinute,
            own?.RequestsPerMinute ?? TenantRequestsPerMinute,
            own?.ConcurrentSessions ?? ConcurrentSessions);
    }
}

/// <summary>One tenant's overrides; each unset value falls back to the default of <see cref="RateLimitOptions"/>.</summary>
public sealed class TenantRateLimits
{
    /// <summary>Requests per minute of the whole tenant. Optional.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Requests per minute of each key of the tenant. Optional.</summary>
    public int? KeyRequestsPerMinute { get; set; }

    /// <summary>Sessions with a queued or running turn at once. Optional.</summary>
    public int? ConcurrentSessions { get; set; }
}

/// <summary>The limits of one tenant after overrides.</summary>
public readonly record struct EffectiveLimits(int KeyRequestsPerMinute, int TenantRequestsPerMinute, int ConcurrentSessions);

/// <summary>Applies the flat environment names on top of the section.</summary>
internal sealed class RateLimitOptionsSetup(IConfiguration configuration) : IPostConfigureOptions<RateLimitOptions>
{
    public const string KeyPerMinute = "RATE_LIMIT_KEY_PER_MINUTE";
    public const string TenantPerMinute = "RATE_LIMIT_TENANT_PER_MINUTE";
    public const string ConcurrentSessions = "QUOTA_CONCURRENT_SESSIONS";

    public void PostConfigure(string? name, RateLimitOptions options)
    {
        options.KeyRequestsPerMinute = configuration.GetValue(KeyPerMinute, options.KeyRequestsPerMinute);
        options.TenantRequestsPerMinute = configuration.GetValue(TenantPerMinute, options.TenantRequestsPerMinute);
        options.ConcurrentSessions = configuration.GetValue(ConcurrentSessions, options.ConcurrentSessions);
    }
}

/// <summary>Refuses per-tenant overrides below 1, naming the key; all of them at once.</summary>
internal sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var errors = new List<string>();
        foreach (var (tenant, limits) in options.Tenants)
        {
            Check(tenant, nameof(TenantRateLimits.RequestsPerMinute), limits.RequestsPerMinute);
            Check(tenant, nameof(TenantRateLimits.KeyRequestsPerMinute), limits.KeyRequestsPerMinute);
            Check(tenant, nameof(TenantRateLimits.ConcurrentSessions), limits.ConcurrentSessions);
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Check(string tenant, string setting, int? value)
        {
            if (value is < 1)
            {
                errors.Add($"{RateLimitOptions.SectionName}:Tenants:{tenant}:{setting} must be 1 or more, got {value}; remove it to use the default.");
            }
        }
    }
}
