using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace SomaAgent.Security.Keys;

/// <summary>
/// The key format <c>sk_&lt;prefix&gt;_&lt;secret&gt;</c>: a 12-hex-digit public prefix (how the key is found and
/// shown) and 32 random bytes, base64url. Only the SHA-256 of the whole string is stored. Any other string of
/// at least <see cref="MinimumLength"/> characters (an operator's bootstrap secret) is found by a prefix
/// derived from its hash instead.
/// </summary>
public static class ApiKeySecret
{
    public const string Marker = "sk_";
    public const int MinimumLength = 32;
    public const int MaximumLength = 512;
    private const int PrefixBytes = 6;
    private const int SecretBytes = 32;
    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>A new random key and its prefix.</summary>
    public static (string Key, string Prefix) Generate()
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(PrefixBytes));
        var secret = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        return ($"{Marker}{prefix}_{secret}", prefix);
    }

    /// <summary>The lookup prefix of a presented key, or null when it cannot be a key at all.</summary>
    public static string? PrefixOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length is < MinimumLength or > MaximumLength || key.Any(c => c is <= ' ' or > '~'))
        {
            return null;
        }
        if (key.StartsWith(Marker, StringComparison.Ordinal)
            && key.Length > Marker.Length + (PrefixBytes * 2) + 1
            && key[Marker.Length + (PrefixBytes * 2)] == '_'
            && key.AsSpan(Marker.Length, PrefixBytes * 2).ContainsAnyExcept(HexDigits) is false)
        {
            return key.Substring(Marker.Length, PrefixBytes * 2);
        }
        // An operator-chosen secret: the prefix comes from its hash, so it reveals nothing of the secret.
        return "op" + Convert.ToHexStringLower(Hash(key).AsSpan(0, PrefixBytes - 1));
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Constant-time comparison of a presented key with a stored hash.</summary>
    public static bool Matches(string key, byte[] storedHash) => HashMatches(Hash(key), storedHash);

    /// <summary>As <see cref="Matches"/>, for a presented key already hashed.</summary>
    public static bool HashMatches(ReadOnlySpan<byte> presentedHash, byte[] storedHash) =>
        CryptographicOperations.FixedTimeEquals(presentedHash, storedHash);
}
