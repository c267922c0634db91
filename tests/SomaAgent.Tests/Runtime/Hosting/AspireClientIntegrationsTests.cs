using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Trace;
using SomaAgent.Runtime.Storage;
using SomaAgent.Tests.Gateway;
using SomaAgent.Tests.Infrastructure;
using SomaAgent.Tests.Telemetry;
using StackExchange.Redis;

namespace SomaAgent.Tests.Runtime.Hosting;

/// <summary>
/// PostgreSQL and Redis reach a service through Aspire's client integrations, on real servers: their calls are spans
/// of the service's own tracer (so they are exported with everything else), Npgsql's metrics are on /metrics, the
/// store keeps its explicit transactions (no retrying strategy), and the health checks are the ones intended.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AspireClientIntegrationsTests(PostgresServer postgres, RedisServer redis) : IClassFixture<RedisServer>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Database_and_redis_calls_are_exported_by_the_services_own_tracer()
    {
        var exported = new RecordingExporter();
        await using var app = await StartAsync(services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(exported))));

        var id = await app.CreateSessionAsync(new { input = "What is 6*7?" }, Ct);
        await app.WaitForEndAsync(id, Ct);
        // Redis commands become spans when the instrumentation drains its profiler, every 10 s.
        for (var i = 0; i < 150 && !exported.Sources.Any(IsRedisSource); i++)
        {
            await Task.Delay(100, Ct);
        }

        exported.Sources.ShouldContain("Npgsql");
        exported.Sources.ShouldContain(s => IsRedisSource(s), string.Join(", ", exported.Sources));
    }

    [Fact]
    public async Task Npgsql_metrics_are_on_the_metrics_endpoint()
    {
        await using var app = await StartAsync();
        using var client = app.CreateAnonymousClient();
        var id = await app.CreateSessionAsync(new { input = "hi" }, Ct);
        await app.WaitForEndAsync(id, Ct);

        var metrics = await PrometheusText.ScrapeUntilAsync(client, m => m.Names.Any(IsNpgsqlMetric), Ct);

        metrics.Names.Where(IsNpgsqlMetric).ShouldNotBeEmpty(string.Join(", ", metrics.Names.Order()));
    }

    [Fact]
    public async Task The_store_runs_without_a_retrying_execution_strategy_so_its_own_transactions_work()
    {
        await using var app = await StartAsync();
        await using var context = await app.Services.GetRequiredService<IDbContextFactory<SessionDbContext>>().CreateDbContextAsync(Ct);

        context.Database.CreateExecutionStrategy().RetriesOnFailure.ShouldBeFalse();
        await using var transaction = await context.Database.BeginTransactionAsync(Ct);
        (await context.Sessions.CountAsync(Ct)).ShouldBeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public async Task The_gateway_shares_one_redis_connection_and_stays_ready_without_redis()
    {
        await using var app = await StartAsync();
        _ = app.CreateAnonymousClient();

        var checks = app.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name).ToList();
        var connection = app.Services.GetRequiredService<IConnectionMultiplexer>();

        checks.ShouldNotContain(c => c.Contains("redis", StringComparison.OrdinalIgnoreCase));
        checks.ShouldContain("session-store");
        connection.IsConnected.ShouldBeTrue();
        app.Services.GetServices<IConnectionMultiplexer>().Count().ShouldBe(1);
    }

    private static bool IsRedisSource(string source) => source.Contains("StackExchangeRedis", StringComparison.Ordinal);

    private static bool IsNpgsqlMetric(string name) => name.StartsWith("db_client_", StringComparison.Ordinal);

    private async Task<GatewayApp> StartAsync(Action<IServiceCollection>? configure = null)
    {
        var database = await postgres.CreateDatabaseAsync("aspire", Ct);
        return new GatewayApp(postgres: database, settings: new Dictionary<string, string?> { ["ConnectionStrings:redis"] = redis.ConnectionString },
            testServices: configure);
    }

    /// <summary>What the service's tracer provider exports: only spans of the sources it was told to listen to.</summary>
    private sealed class RecordingExporter : BaseExporter<Activity>
    {
        private readonly List<string> _sources = [];

        public IReadOnlyList<string> Sources
        {
            get
            {
                lock (_sources)
                {
                    return [.. _sources.Distinct()];
                }
            }
        }

        public override ExportResult Export(in Batch<Activity> batch)
        {
            lock (_sources)
            {
                foreach (var activity in batch)
                {
                    _sources.Add(activity.Source.Name);
                }
            }
            return ExportResult.Success;
        }
    }
}
