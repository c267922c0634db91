using System.Globalization;
using System.Text;

namespace SomaAgent.Bench.ToolCache;

/// <summary>Everything one tool-cache run reports; printed as a table and as one JSON line.</summary>
internal sealed record ToolCacheResult
{
    public string Scenario { get; init; } = ToolCacheBench.Scenario;
    /// <summary><c>memory</c>, or <c>redis</c> when the hosts' memory levels share a private redis-server behind them.</summary>
    public required string Cache { get; init; }
    public required int Hosts { get; init; }
    public required int Workers { get; init; }
    public required int Cores { get; init; }
    public required int CallsPlanned { get; init; }
    public required int Distinct { get; init; }
    public required double Zipf { get; init; }
    public required int Tenants { get; init; }
    public required int Sessions { get; init; }
    public required int Seed { get; init; }
    public required int WarmupCalls { get; init; }
    public required bool CapReached { get; init; }
    public required double ElapsedSeconds { get; init; }
    public required int Calls { get; init; }
    public required double CallsPerSecond { get; init; }
    public required int Hits { get; init; }
    /// <summary>Misses: the calls that ran the tool.</summary>
    public required int Executions { get; init; }
    public required double HitRate { get; init; }
    /// <summary>Executions the cache spared (its hits), as a share of all calls in <see cref="SavedPercent"/>.</summary>
    public required int ExecutionsSaved { get; init; }
    public required double SavedPercent { get; init; }
    /// <summary>Distinct (tenant, expression) pairs in the plan: the misses no cache avoids.</summary>
    public required int UniqueKeys { get; init; }
    /// <summary>The hit rate of a perfect shared cache: 1 − unique keys ÷ calls.</summary>
    public required double BestHitRate { get; init; }
    /// <summary>
    /// Hits served by Redis after the host's memory missed (a result another host stored), during the measured
    /// phase; null without Redis.
    /// </summary>
    public required long? RedisHits { get; init; }
    /// <summary>Redis reads that found nothing (each is followed by an execution, or by joining one).</summary>
    public required long? RedisMisses { get; init; }
    public required LatencySummary HitMs { get; init; }
    public required LatencySummary MissMs { get; init; }
    public required IReadOnlyList<HostLookups> PerHost { get; init; }
    /// <summary>Calls for which the executor reported no cache lookup (expected 0).</summary>
    public required int Unattributed { get; init; }
    public required int Errors { get; init; }
    public required string? FirstError { get; init; }
    /// <summary>The machine's 1-minute load average before and after the measured phase (/proc/loadavg).</summary>
    public required double LoadAverageBefore { get; init; }
    public required double LoadAverageAfter { get; init; }

    public string ToTable()
    {
        var table = new StringBuilder();
        Line(table, "scenario", $"{Scenario}: calculator through ToolExecutor, cache {(Cache == "redis" ? "memory + redis" : Cache)}, {Hosts} host(s), {Workers} workers, {Cores} cores, load {LoadAverageBefore} → {LoadAverageAfter}");
        Line(table, "mix", $"{CallsPlanned} calls planned, {Distinct} distinct expressions, Zipf s = {Zipf:0.###}, {Tenants} tenants, {Sessions} sessions, seed {Seed}");
        Line(table, "calls", $"{Calls} in {ElapsedSeconds:0.###} s = {CallsPerSecond:0} calls/s{(CapReached ? " (time cap reached)" : "")}, {Errors} errors");
        Line(table, "hit rate", $"{HitRate:P1} ({Hits} hits, {Executions} misses); best possible {BestHitRate:P1} ({UniqueKeys} unique keys)");
        Line(table, "executions saved", $"{ExecutionsSaved} of {Calls} ({SavedPercent:0.#} %); the tool ran {Executions} times");
        if (RedisHits is { } redisHits)
        {
            Line(table, "from redis", $"{redisHits} of the hits came from Redis (another host's result, not in this host's memory yet), {RedisMisses} Redis reads found nothing");
        }
        Line(table, "hit latency ms", $"p50 {HitMs.P50} / p95 {HitMs.P95} / p99 {HitMs.P99} / max {HitMs.Max}");
        Line(table, "miss latency ms", $"p50 {MissMs.P50} / p95 {MissMs.P95} / p99 {MissMs.P99} / max {MissMs.Max}");
        foreach (var host in PerHost)
        {
            Line(table, $"host {host.Host}", $"{host.Calls} calls, {host.Hits} hits, {host.Misses} misses");
        }
        if (FirstError is not null)
        {
            Line(table, "first error", $"{FirstError}");
        }
        return table.ToString();
    }

    private static void Line(StringBuilder table, string name, FormattableString value) =>
        table.Append(name.PadRight(18)).Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
