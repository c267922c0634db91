using System.Security.Cryptography;

namespace SomaAgent.Registry.Artifacts;

/// <summary>The content address of a blob: 64 lowercase hex digits of its SHA-256.</summary>
public static class ArtifactDigest
{
    public static bool IsValid(string? digest) =>
        digest is { Length: 64 } && digest.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 64 lowercase hex digits.</exception>
    public static void ThrowIfInvalid(string digest)
    {
        if (!IsValid(digest))
        {
            throw new ArgumentException($"'{digest}' is not a SHA-256 digest (64 lowercase hex digits).", nameof(digest));
        }
    }

    /// <summary>Copies <paramref name="content"/> to <paramref name="destination"/> and returns the SHA-256 of what was copied.</summary>
    public static async Task<string> CopyAsync(Stream content, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(destination);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
