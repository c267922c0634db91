using System.Collections.Concurrent;

namespace SomaAgent.Security.Keys;

/// <summary>
/// Keys that proved themselves in the last <see cref="Lifetime"/>, by the SHA-256 of the presented key (never the
/// key), so a request does not read the store twice per agent run. A revocation evicts the key at once on the
/// replica that committed it (<see cref="ApiKeyStore.RevokeAsync"/>) and within <see cref="ApiKeyRevocationWatcher.Interval"/>
/// on every other one, which watches the store for revocations of the keys it holds. Failures are never cached.
/// </summary>
public sealed class ApiKeyVerificationCache(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<UInt128, Entry> _entries = new();
    private long _evictions;

    /// <summary>
    /// Counts evictions. A key read from the store before an eviction is not added after it
    /// (<see cref="Add"/>): a check that raced a revocation must not cache what it read before the revocation.
    /// </summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>The keys held now: what the revocation watcher asks the store about.</summary>
    public IReadOnlyCollection<Guid> KeyIds => [.. _entries.Values.Select(e => e.Identity.KeyId).Distinct()];

    public bool IsEmpty => _entries.IsEmpty;

    /// <summary>Set while <see cref="ApiKeyRevocationWatcher"/> runs; without it nothing is cached.</summary>
    public bool Enabled { get; internal set; }

    public bool TryGet(ReadOnlySpan<byte> keyHash, DateTime now, out Entry entry)
    {
        if (Enabled && _entries.TryGetValue(Id(keyHash), out entry!)
            && time.GetElapsedTime(entry.CachedAt) < Lifetime
            && (entry.ExpiresAt is not { } expires || expires > now))
        {
            return true;
        }
        entry = null!;
        return false;
    }

    /// <param name="evictionsBeforeRead"><see cref="Evictions"/> when the key was read from the store.</param>
    public void Add(ReadOnlySpan<byte> keyHash, ApiKeyIdentity identity, DateTime? expiresAt, DateTime? lastUsedAt, long evictionsBeforeRead)
    {
        if (!Enabled || evictionsBeforeRead != Evictions)
        {
            return;
        }
        if (_entries.Count >= MaxEntries)
        {
            // A flood of distinct valid keys is rare; starting over is cheaper than tracking recency.
            _entries.Clear();
        }
        _entries[Id(keyHash)] = new Entry(identity, expiresAt, time.GetTimestamp()) { LastUsedAt = lastUsedAt };
    }

    /// <summary>Forgets every entry of these keys (revoked, here or on another replica).</summary>
    public void Evict(IReadOnlyCollection<Guid> keyIds)
    {
        ArgumentNullException.ThrowIfNull(keyIds);
        Interlocked.Increment(ref _evictions);
        foreach (var (id, entry) in _entries)
        {
            if (keyIds.Contains(entry.Identity.KeyId))
            {
                _entries.TryRemove(id, out _);
            }
        }
    }

    /// <summary>Drops entries past their lifetime, so the watcher only asks about keys still in use.</summary>
    public void Trim()
    {
        foreach (var (id, entry) in _entries)
        {
            if (time.GetElapsedTime(entry.CachedAt) >= Lifetime)
            {
                _entries.TryRemove(id, out _);
            }
        }
    }

    private static UInt128 Id(ReadOnlySpan<byte> keyHash) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(keyHash);

    /// <summary>A verified key; <see cref="LastUsedAt"/> is what the store holds, so it is written once a minute at most.</summary>
    public sealed record Entry(ApiKeyIdentity Identity, DateTime? ExpiresAt, long CachedAt)
    {
        public DateTime? LastUsedAt { get; set; }
    }
}
