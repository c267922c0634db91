using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace SomaAgent.Engine.Tools.Caching;

/// <summary>
/// Redis as HybridCache's second level, behind a circuit breaker. A failed read is a miss and a failed write is
/// skipped, so HybridCache keeps its memory level and tools keep running while Redis is away; once reads and
/// writes keep failing, the breaker skips Redis for <see cref="BreakDuration"/> instead of paying for a
/// failure on every call. With the client's defaults and no guard, each call waited on a reconnect and nothing
/// was kept in memory either (measured: three calls took 17 s with Redis down).
/// </summary>
internal sealed partial class GuardedDistributedCache : IBufferDistributedCache, IDisposable
{
    public const string PipelineName = "somaagent-redis-cache";
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(30);

    private readonly IBufferDistributedCache _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger _logger;

    public GuardedDistributedCache(IBufferDistributedCache inner, ResiliencePipelineBuilder builder, ILogger<GuardedDistributedCache> logger)
    {
        _inner = inner;
        _logger = logger;
        builder.Name = PipelineName;
        _pipeline = builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                // Every failure counts except a cancellation the caller asked for.
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Outcome.Exception is { } ex && !(ex is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested)),
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(10),
                BreakDuration = BreakDuration,
            })
            .Build();
    }

    public byte[]? Get(string key) =>
        Guard(static s => s.Inner.Get(s.Key), (Inner: _inner, Key: key), fallback: null);

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) =>
        GuardAsync(static async (s, ct) => await s.Inner.GetAsync(s.Key, ct), (Inner: _inner, Key: key), fallback: null, token).AsTask();

    public bool TryGet(string key, IBufferWriter<byte> destination) =>
        Guard(static s => s.Inner.TryGet(s.Key, s.Destination), (Inner: _inner, Key: key, Destination: destination), fallback: false);

    public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default) =>
        GuardAsync(static (s, ct) => s.Inner.TryGetAsync(s.Key, s.Destination, ct), (Inner: _inner, Key: key, Destination: destination), fallback: false, token);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) =>
        Guard(static s => { s.Inner.Set(s.Key, s.Value, s.Options); return true; }, (Inner: _inner, Key: key, Value: value, Options: options), fallback: false);

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        GuardAsync(static async (s, ct) => { await s.Inner.SetAsync(s.Key, s.Value, s.Options, ct); return true; },
            (Inner: _inner, Key: key, Value: value, Options: options), fallback: false, token).AsTask();

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) =>
        Guard(static s => { s.Inner.Set(s.Key, s.Value, s.Options); return true; }, (Inner: _inner, Key: key, Value: value, Options: options), fallback: false);

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        await GuardAsync(static async (s, ct) => { await s.Inner.SetAsync(s.Key, s.Value, s.Options, ct); return true; },
            (Inner: _inner, Key: key, Value: value, Options: options), fallback: false, token);

    public void Refresh(string key) =>
        Guard(static s => { s.Inner.Refresh(s.Key); return true; }, (Inner: _inner, Key: key), fallback: false);

    public Task RefreshAsync(string key, CancellationToken token = default) =>
        GuardAsync(static async (s, ct) => { await s.Inner.RefreshAsync(s.Key, ct); return true; }, (Inner: _inner, Key: key), fallback: false, token).AsTask();

    public void Remove(string key) =>
        Guard(static s => { s.Inner.Remove(s.Key); return true; }, (Inner: _inner, Key: key), fallback: false);

    public Task RemoveAsync(string key, CancellationToken token = default) =>
        GuardAsync(static async (s, ct) => { await s.Inner.RemoveAsync(s.Key, ct); return true; }, (Inner: _inner, Key: key), fallback: false, token).AsTask();

    public void Dispose() => (_inner as IDisposable)?.Dispose();

    private T Guard<TState, T>(Func<TState, T> operation, TState state, T fallback)
    {
        try
        {
            return _pipeline.Execute(operation, state);
        }
        catch (Exception ex)
        {
            Failed(ex);
            return fallback;
        }
    }

    private async ValueTask<T> GuardAsync<TState, T>(Func<TState, CancellationToken, ValueTask<T>> operation, TState state, T fallback, CancellationToken token)
    {
        try
        {
            return await _pipeline.ExecuteAsync(operation, state, token);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && token.IsCancellationRequested))
        {
            Failed(ex);
            return fallback;
        }
    }

    private void Failed(Exception exception)
    {
        // An open circuit is already reported by Polly's telemetry when it opens.
        if (exception is not BrokenCircuitException)
        {
            LogRedisFailed(exception);
        }
    }

    [LoggerMessage(EventId = 1210, Level = LogLevel.Warning, Message = "The Redis tool result cache failed; the call goes on without it")]
    private partial void LogRedisFailed(Exception exception);
}
