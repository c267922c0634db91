using System.Text;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Options;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Engine.Tools.Caching;

/// <summary>
/// Serves repeated calls of cacheable tools from HybridCache (process memory, then Redis when configured).
/// Only successful results are kept; errors, and results over the size limit, go back to the caller uncached.
/// Identical calls that arrive together run the tool once (HybridCache's stampede protection). A Redis outage
/// costs hits, never calls: HybridCache logs the failure and runs the tool.
/// </summary>
public sealed class ToolResultCache(HybridCache cache, IOptions<ToolResultCacheOptions> options)
{
    private readonly ToolResultCacheOptions _options = options.Value;

    /// <summary>Whether <paramref name="tool"/>'s results are cached at all.</summary>
    public bool Covers(AgentTool tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return _options.Enabled && tool.ResultCacheDuration > TimeSpan.Zero;
    }

    /// <summary>
    /// The cached result of <paramref name="call"/>, or what <paramref name="run"/> produces (stored when it
    /// succeeded). <c>Hit</c> says whether the tool was spared.
    /// </summary>
    public async ValueTask<(ToolOutcome Outcome, bool Hit)> GetOrRunAsync(
        ToolCall call,
        Func<ToolCall, CancellationToken, ValueTask<ToolOutcome>> run,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(run);
        var lifetime = call.Tool.ResultCacheDuration
            ?? throw new ArgumentException($"The tool '{call.Tool.Name}' declares no result lifetime.", nameof(call));
        var local = TimeSpan.FromSeconds(_options.LocalDurationSeconds);
        var entry = new HybridCacheEntryOptions
        {
            Expiration = lifetime,
            LocalCacheExpiration = lifetime < local ? lifetime : local,
        };

        var lookup = new Lookup(call, run, _options.MaxResultBytes);
        try
        {
            var json = await cache.GetOrCreateAsync(ToolResultKey.For(call), lookup, static async (state, token) =>
            {
                state.Ran = true;
                var outcome = await state.Run(state.Call, token);
                // HybridCache stores whatever the factory returns; throwing is the only way to keep a result out.
                if (outcome.IsError || Encoding.UTF8.GetByteCount(outcome.ResultJson) > state.MaxResultBytes)
                {
                    throw new UncachedOutcomeException(outcome);
                }
                return outcome.ResultJson;
            }, entry, tags: null, cancellationToken);
            return (new ToolOutcome(json, IsError: false), !lookup.Ran);
        }
        catch (UncachedOutcomeException uncached)
        {
            return (uncached.Outcome, false);
        }
    }

    private sealed class Lookup(ToolCall call, Func<ToolCall, CancellationToken, ValueTask<ToolOutcome>> run, int maxResultBytes)
    {
        public ToolCall Call { get; } = call;
        public Func<ToolCall, CancellationToken, ValueTask<ToolOutcome>> Run { get; } = run;
        public int MaxResultBytes { get; } = maxResultBytes;
        public bool Ran { get; set; }
    }

    /// <summary>Carries an outcome that must not be cached out of HybridCache's factory.</summary>
    private sealed class UncachedOutcomeException(ToolOutcome outcome) : Exception("The tool outcome is not cached.")
    {
        public ToolOutcome Outcome { get; } = outcome;
    }
}
