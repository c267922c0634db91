using System.Security.Cryptography;

namespace SomaAgent.Registry.Signing;

/// <summary>What checking a package's signature found.</summary>
public enum SignatureCheck
{
    /// <summary>The key signed exactly these bytes.</summary>
    Valid,

    /// <summary>The signature is well-formed but not this key's signature of these bytes (a changed package, another key).</summary>
    Mismatch,

    /// <summary>The signature is not base64 of a DER-encoded ECDSA signature.</summary>
    Malformed,
}

/// <summary>
/// Capsule signatures as cosign and openssl make them: ECDSA on P-256 with SHA-256 over the package bytes, the
/// signature DER-encoded (ASN.1 SEQUENCE of r and s) and carried as base64; what
/// <c>openssl dgst -sha256 -verify key.pem -signature sig.der package.tar.gz</c> checks. Publishers keep their private
/// keys; the registry holds only their public keys (PEM, SubjectPublicKeyInfo).
/// </summary>
public static class CapsuleSignatures
{
    /// <summary>Reads a publisher's public key; only EC P-256 keys are taken.</summary>
    /// <exception cref="SigningKeyException">The PEM is not an EC P-256 public key; the message says what it is instead.</exception>
    public static ECDsa ReadPublicKey(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!pem.Contains("-----BEGIN PUBLIC KEY-----", StringComparison.Ordinal))
        {
            throw new SigningKeyException(pem.Contains("PRIVATE KEY", StringComparison.Ordinal)
                ? "This is a private key. Register the public key only (openssl ec -in key.pem -pubout), and keep the private key to yourself."
                : "The key must be a PEM public key ('-----BEGIN PUBLIC KEY-----', SubjectPublicKeyInfo).");
        }
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new SigningKeyException("The key is not an ECDSA public key; capsules are signed with ECDSA P-256 keys (cosign generate-key-pair, or openssl ecparam -name prime256v1 -genkey).");
        }
        var curve = key.ExportParameters(includePrivateParameters: false).Curve;
        if (curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            key.Dispose();
            throw new SigningKeyException($"The key is on curve {curve.Oid.FriendlyName ?? curve.Oid.Value}; capsules are signed with P-256 (prime256v1) keys.");
        }
        return key;
    }

    /// <summary>The key's id: <c>sha256:</c> and the hex SHA-256 of its SubjectPublicKeyInfo, the same for the same key wherever it is registered.</summary>
    public static string KeyIdOf(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Checks <paramref name="signatureBase64"/> over <paramref name="package"/> with <paramref name="key"/>.</summary>
    public static SignatureCheck Verify(ReadOnlySpan<byte> package, string signatureBase64, ECDsa key) =>
        VerifyDigest(SHA256.HashData(package), signatureBase64, key);

    /// <summary>
    /// Checks <paramref name="signatureBase64"/> against the package's SHA-256 (what ECDSA with SHA-256 signs), so a
    /// stored package's signature is checked from its digest without reading it again.
    /// </summary>
    public static SignatureCheck VerifyDigest(ReadOnlySpan<byte> sha256, string signatureBase64, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(signatureBase64);
        ArgumentNullException.ThrowIfNull(key);
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureBase64.Trim());
        }
        catch (FormatException)
        {
            return SignatureCheck.Malformed;
        }
        // A DER ECDSA P-256 signature is a SEQUENCE of two INTEGERs of at most 33 bytes each: 8 to 72 bytes.
        if (signature.Length is < 8 or > 72 || signature[0] != 0x30)
        {
            return SignatureCheck.Malformed;
        }
        try
        {
            return key.VerifyHash(sha256, signature, DSASignatureFormat.Rfc3279DerSequence)
                ? SignatureCheck.Valid
                : SignatureCheck.Mismatch;
        }
        catch (CryptographicException)
        {
            return SignatureCheck.Malformed;
        }
    }
}

/// <summary>A publisher key the registry does not take; the message is meant for the publisher.</summary>
public sealed class SigningKeyException(string message) : Exception(message);
