using Microsoft.Extensions.Time.Testing;
using SomaAgent.Security.Keys;

namespace SomaAgent.Tests.Gateway.Security;

/// <summary>What the key cache keeps, for how long, and when it keeps nothing at all.</summary>
public sealed class ApiKeyVerificationCacheTests
{
    private static readonly byte[] Hash = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly ApiKeyIdentity Identity = new(Guid.CreateVersion7(), "acme", "reader", ["sessions:read"]);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    [Fact]
    public void Without_its_revocation_channel_the_cache_keeps_nothing()
    {
        var cache = new ApiKeyVerificationCache(_time);

        cache.Add(Hash, Identity, expiresAt: null, lastUsedAt: Now, cache.Evictions);

        cache.TryGet(Hash, Now, out _).ShouldBeFalse();
        cache.IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void A_verified_key_is_served_for_its_lifetime_and_then_verified_again()
    {
        var cache = new ApiKeyVerificationCache(_time) { Enabled = true };
        cache.Add(Hash, Identity, expiresAt: null, lastUsedAt: Now, cache.Evictions);

        cache.TryGet(Hash, Now, out var entry).ShouldBeTrue();
        entry.Identity.ShouldBe(Identity);
        _time.Advance(ApiKeyVerificationCache.Lifetime);
        cache.TryGet(Hash, Now, out _).ShouldBeFalse();
    }

    [Fact]
    public void A_key_that_expires_is_not_served_past_its_expiry()
    {
        var cache = new ApiKeyVerificationCache(_time) { Enabled = true };
        cache.Add(Hash, Identity, expiresAt: Now.AddSeconds(5), lastUsedAt: Now, cache.Evictions);

        _time.Advance(TimeSpan.FromSeconds(5));

        cache.TryGet(Hash, Now, out _).ShouldBeFalse();
    }

    [Fact]
    public void A_key_read_before_a_revocation_is_not_cached_after_it()
    {
        var cache = new ApiKeyVerificationCache(_time) { Enabled = true };
        var readAt = cache.Evictions;

        cache.Evict([Identity.KeyId]);
        cache.Add(Hash, Identity, expiresAt: null, lastUsedAt: Now, readAt);

        cache.TryGet(Hash, Now, out _).ShouldBeFalse();
    }

    [Fact]
    public void Evicting_a_key_forgets_it_at_once()
    {
        var cache = new ApiKeyVerificationCache(_time) { Enabled = true };
        cache.Add(Hash, Identity, expiresAt: null, lastUsedAt: Now, cache.Evictions);

        cache.Evict([Identity.KeyId]);

        cache.TryGet(Hash, Now, out _).ShouldBeFalse();
        cache.KeyIds.ShouldBeEmpty();
    }
}
