using System.Security.Cryptography;
using System.Text.Json;

namespace SomaAgent.Registry.Signing;

/// <summary>
/// A capsule signature as a Sigstore bundle (v0.3, key-based: the signer is named by its key id, no certificate and no
/// transparency log entry), so Sigstore's own verifiers check it offline against the publisher's public key.
/// </summary>
public static class SigstoreBundle
{
    public const string MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>The bundle of <paramref name="signatureDer"/> over <paramref name="package"/>, by the key <paramref name="keyId"/>.</summary>
    public static string Create(ReadOnlySpan<byte> package, ReadOnlySpan<byte> signatureDer, string keyId) =>
        FromDigest(SHA256.HashData(package), signatureDer, keyId);

    /// <summary>The bundle of <paramref name="signatureDer"/> over the package whose SHA-256 is <paramref name="sha256"/>.</summary>
    public static string FromDigest(ReadOnlySpan<byte> sha256, ReadOnlySpan<byte> signatureDer, string keyId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var bundle = new
        {
            mediaType = MediaType,
            verificationMaterial = new { publicKey = new { hint = keyId } },
            messageSignature = new
            {
                messageDigest = new { algorithm = "SHA2_256", digest = Convert.ToBase64String(sha256) },
                signature = Convert.ToBase64String(signatureDer),
            },
        };
        return JsonSerializer.Serialize(bundle);
    }
}
