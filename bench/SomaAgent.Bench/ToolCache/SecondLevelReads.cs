using System.Buffers;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace SomaAgent.Bench.ToolCache;

/// <summary>
/// Reads HybridCache made of its second level (Redis) on one host: a hit there is a result another host stored.
/// Counted on the client because Redis's own keyspace counters see two commands per read (RedisCache sends HMGET
/// for the expiry fields, then HGET for the data).
/// </summary>
internal sealed class SecondLevelReads
{
    private long _hits;
    private long _misses;

    public (long Hits, long Misses) Snapshot => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    /// <summary>
    /// Wraps the <see cref="IDistributedCache"/> the runtime registered (Redis behind its guard) so its reads are
    /// counted; everything else passes through unchanged. Throws when the runtime registers it some other way.
    /// </summary>
    public void Observe(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IDistributedCache));
        if (registered?.ImplementationFactory is not { } factory)
        {
            throw new InvalidOperationException("The runtime no longer registers Redis as an IDistributedCache factory; update the tool-cache bench.");
        }
        services.Remove(registered);
        services.AddSingleton<IDistributedCache>(sp => new CountingCache((IBufferDistributedCache)factory(sp), this));
    }

    private void Count(bool found) => Interlocked.Increment(ref found ? ref _hits : ref _misses);

    /// <summary>Passes every call to Redis; counts whether each read found a value.</summary>
    private sealed class CountingCache(IBufferDistributedCache inner, SecondLevelReads reads) : IBufferDistributedCache, IDisposable
    {
        public byte[]? Get(string key) => Counted(inner.Get(key));

        public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Counted(await inner.GetAsync(key, token));

        public bool TryGet(string key, IBufferWriter<byte> destination) => Counted(inner.TryGet(key, destination));

        public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default) =>
            Counted(await inner.TryGetAsync(key, destination, token));

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => inner.Set(key, value, options);

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
            inner.SetAsync(key, value, options, token);

        public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => inner.Set(key, value, options);

        public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
            inner.SetAsync(key, value, options, token);

        public void Refresh(string key) => inner.Refresh(key);

        public Task RefreshAsync(string key, CancellationToken token = default) => inner.RefreshAsync(key, token);

        public void Remove(string key) => inner.Remove(key);

        public Task RemoveAsync(string key, CancellationToken token = default) => inner.RemoveAsync(key, token);

        public void Dispose() => (inner as IDisposable)?.Dispose();

        private byte[]? Counted(byte[]? value)
        {
            reads.Count(value is not null);
            return value;
        }

        private bool Counted(bool found)
        {
            reads.Count(found);
            return found;
        }
    }
}
