using SomaAgent.Registry.Storage;

namespace SomaAgent.Registry.Signing;

/// <summary>A stored version's signature as the registry verifies it now, against its owner's registered keys.</summary>
public static class SignatureStatus
{
    public const string Valid = "valid";
    public const string Invalid = "invalid";
    public const string KeyRevoked = "key_revoked";
    public const string KeyUnknown = "key_unknown";

    /// <param name="packageDigest">The package's SHA-256, lowercase hex.</param>
    /// <param name="key">The owner's key with the version's key id, revoked or not; null when there is none.</param>
    public static string Of(string packageDigest, string signature, SigningKeyRecord? key)
    {
        ArgumentNullException.ThrowIfNull(packageDigest);
        if (key is null)
        {
            return KeyUnknown;
        }
        if (key.RevokedAt is not null)
        {
            return KeyRevoked;
        }
        using var publicKey = CapsuleSignatures.ReadPublicKey(key.PublicKeyPem);
        return CapsuleSignatures.VerifyDigest(Convert.FromHexString(packageDigest), signature, publicKey) == SignatureCheck.Valid ? Valid : Invalid;
    }
}
