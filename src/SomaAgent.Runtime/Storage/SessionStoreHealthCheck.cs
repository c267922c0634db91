using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SomaAgent.Runtime.Storage;

/// <summary>Healthy when the session store answers.</summary>
public sealed class SessionStoreHealthCheck(IDbContextFactory<SessionDbContext> dbFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy($"{db.Database.ProviderName} answers.")
            : HealthCheckResult.Unhealthy($"{db.Database.ProviderName} does not answer.");
    }
}
