using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly;
using SomaAgent.Engine.Tools.Caching;

namespace SomaAgent.Tests.Runtime.Tools.Caching;

/// <summary>The circuit breaker between HybridCache and Redis, over a second level that always fails.</summary>
public sealed class GuardedDistributedCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_failing_read_is_a_miss_and_a_failing_write_is_skipped()
    {
        var redis = new FailingCache();
        using var cache = Guard(redis, TimeProvider.System);

        var found = await cache.TryGetAsync("k", new ArrayBufferWriter<byte>(), Ct);
        await cache.SetAsync("k", new ReadOnlySequence<byte>([1, 2, 3]), new DistributedCacheEntryOptions(), Ct);

        found.ShouldBeFalse();
        redis.Calls.ShouldBe(2);
    }

    [Fact]
    public async Task After_repeated_failures_redis_is_left_alone_until_the_break_is_over()
    {
        var time = new FakeTimeProvider();
        var redis = new FailingCache();
        using var cache = Guard(redis, time);
        for (var i = 0; i < 4; i++)
        {
            await cache.GetAsync("k", Ct);
        }

        for (var i = 0; i < 10; i++)
        {
            (await cache.GetAsync("k", Ct)).ShouldBeNull();
        }
        var whileOpen = redis.Calls;
        time.Advance(GuardedDistributedCache.BreakDuration + TimeSpan.FromSeconds(1));
        await cache.GetAsync("k", Ct);

        whileOpen.ShouldBe(4);
        redis.Calls.ShouldBe(5);
    }

    private static GuardedDistributedCache Guard(FailingCache redis, TimeProvider time) =>
        new(redis, new ResiliencePipelineBuilder { TimeProvider = time }, NullLogger<GuardedDistributedCache>.Instance);

    /// <summary>A Redis that is always away: every operation counts and throws.</summary>
    private sealed class FailingCache : IBufferDistributedCache
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public byte[]? Get(string key) => Fail<byte[]?>();

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Fail<byte[]?>());

        public void Refresh(string key) => Fail<bool>();

        public Task RefreshAsync(string key, CancellationToken token = default) => Task.FromResult(Fail<bool>());

        public void Remove(string key) => Fail<bool>();

        public Task RemoveAsync(string key, CancellationToken token = default) => Task.FromResult(Fail<bool>());

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => Fail<bool>();

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
            Task.FromResult(Fail<bool>());

        public bool TryGet(string key, IBufferWriter<byte> destination) => Fail<bool>();

        public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default) =>
            ValueTask.FromResult(Fail<bool>());

        public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => Fail<bool>();

        public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            Fail<bool>();
            return ValueTask.CompletedTask;
        }

        private T Fail<T>()
        {
            Interlocked.Increment(ref _calls);
            throw new IOException("No connection is available to service this operation.");
        }
    }
}
