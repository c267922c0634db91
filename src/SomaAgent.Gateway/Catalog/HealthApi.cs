using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SomaAgent.Gateway.Catalog;

/// <summary><c>GET /v1/health</c>: the same checks as <c>/health</c>, as JSON a client can read.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/health", GetHealth)
            .WithTags("Health")
            .WithName("GetHealth")
            .WithSummary("Report whether the gateway and its backing services are healthy")
            .Produces<HealthReportDto>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Results<Ok<HealthReportDto>, JsonHttpResult<HealthReportDto>>> GetHealth(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        var dto = new HealthReportDto(
            report.Status.ToString().ToLowerInvariant(),
            report.Entries.ToDictionary(e => e.Key, e => new HealthEntryDto(e.Value.Status.ToString().ToLowerInvariant(), e.Value.Description)));
        return report.Status == HealthStatus.Unhealthy
            ? TypedResults.Json(dto, statusCode: StatusCodes.Status503ServiceUnavailable)
            : TypedResults.Ok(dto);
    }
}

public sealed record HealthReportDto(
    [property: Description("healthy, degraded or unhealthy: the worst of the checks.")] string Status,
    [property: Description("Each check by name.")] IReadOnlyDictionary<string, HealthEntryDto> Checks);

public sealed record HealthEntryDto(
    [property: Description("healthy, degraded or unhealthy.")] string Status,
    [property: Description("What the check saw.")] string? Description);
