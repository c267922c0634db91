using System.Security.Cryptography;
using SomaAgent.Registry.Signing;
using static SomaAgent.Tests.Registry.Signing.ExternalVerifiers;

namespace SomaAgent.Tests.Registry.Signing;

/// <summary>
/// Capsule signatures are the ones openssl (and cosign's key-based signing) make and check: the registry accepts a
/// signature openssl made, and openssl accepts one made the registry's way.
/// </summary>
public sealed class CapsuleSignatureTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("somaagent-signing-");
    private readonly byte[] _package = RandomNumberGenerator.GetBytes(100 * 1024);

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void A_signature_openssl_made_with_a_prime256v1_key_is_valid()
    {
        var privateKey = Path.Combine(_folder.FullName, "key.pem");
        OpenSsl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", privateKey);
        var publicKey = OpenSsl("ec", "-in", privateKey, "-pubout");
        var package = WritePackage();
        var signature = Path.Combine(_folder.FullName, "package.sig");
        OpenSsl("dgst", "-sha256", "-sign", privateKey, "-out", signature, package);

        using var key = CapsuleSignatures.ReadPublicKey(publicKey);

        CapsuleSignatures.Verify(_package, Convert.ToBase64String(File.ReadAllBytes(signature)), key).ShouldBe(SignatureCheck.Valid);
    }

    [Fact]
    public void A_signature_made_the_registrys_way_is_verified_ok_by_openssl()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = Path.Combine(_folder.FullName, "pub.pem");
        File.WriteAllText(publicKey, signer.ExportSubjectPublicKeyInfoPem());
        var signature = Path.Combine(_folder.FullName, "package.sig");
        File.WriteAllBytes(signature, signer.SignData(_package, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

        OpenSsl("dgst", "-sha256", "-verify", publicKey, "-signature", signature, WritePackage()).Trim().ShouldBe("Verified OK");
    }

    [Fact]
    public void A_package_changed_after_signing_does_not_verify()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signature = SignatureOf(signer, _package);
        _package[^1] ^= 1;

        using var key = CapsuleSignatures.ReadPublicKey(signer.ExportSubjectPublicKeyInfoPem());

        CapsuleSignatures.Verify(_package, signature, key).ShouldBe(SignatureCheck.Mismatch);
    }

    [Fact]
    public void Another_publishers_key_does_not_verify()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        using var key = CapsuleSignatures.ReadPublicKey(other.ExportSubjectPublicKeyInfoPem());

        CapsuleSignatures.Verify(_package, SignatureOf(signer, _package), key).ShouldBe(SignatureCheck.Mismatch);
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("AAAA")]
    [InlineData("")]
    public void A_signature_that_is_not_base64_der_is_malformed(string signature)
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = CapsuleSignatures.ReadPublicKey(signer.ExportSubjectPublicKeyInfoPem());

        CapsuleSignatures.Verify(_package, signature, key).ShouldBe(SignatureCheck.Malformed);
    }

    [Fact]
    public void A_tampered_signature_does_not_verify()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signature = Convert.FromBase64String(SignatureOf(signer, _package));
        signature[^1] ^= 1;
        using var key = CapsuleSignatures.ReadPublicKey(signer.ExportSubjectPublicKeyInfoPem());

        CapsuleSignatures.Verify(_package, Convert.ToBase64String(signature), key).ShouldNotBe(SignatureCheck.Valid);
    }

    [Fact]
    public void Keys_on_other_curves_private_keys_and_rsa_keys_are_refused_with_the_reason()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Should.Throw<SigningKeyException>(() => CapsuleSignatures.ReadPublicKey(p384.ExportSubjectPublicKeyInfoPem())).Message.ShouldContain("P-256");
        Should.Throw<SigningKeyException>(() => CapsuleSignatures.ReadPublicKey(rsa.ExportSubjectPublicKeyInfoPem())).Message.ShouldContain("not an ECDSA public key");
        Should.Throw<SigningKeyException>(() => CapsuleSignatures.ReadPublicKey(p256.ExportECPrivateKeyPem())).Message.ShouldContain("private key");
    }

    [Fact]
    public void A_keys_id_is_the_sha256_of_its_public_key_as_openssl_computes_it()
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = Path.Combine(_folder.FullName, "pub.pem");
        File.WriteAllText(publicKey, signer.ExportSubjectPublicKeyInfoPem());
        var der = Path.Combine(_folder.FullName, "pub.der");
        OpenSsl("pkey", "-pubin", "-in", publicKey, "-outform", "DER", "-out", der);
        var expected = OpenSsl("dgst", "-sha256", "-r", der).Split(' ')[0];

        using var key = CapsuleSignatures.ReadPublicKey(File.ReadAllText(publicKey));

        CapsuleSignatures.KeyIdOf(key).ShouldBe($"sha256:{expected}");
    }

    [Fact]
    public async Task A_bundle_is_verified_offline_by_sigstores_own_verifier()
    {
        var (bundle, publicKey, keyId) = BundleOf(_package);

        var (exitCode, output) = await SigstoreVerifyAsync(bundle, WritePackage(), publicKey, keyId);

        (exitCode, output.Trim()).ShouldBe((0, "verified"));
    }

    [Fact]
    public async Task Sigstores_verifier_refuses_the_bundle_for_a_changed_package()
    {
        var (bundle, publicKey, keyId) = BundleOf(_package);
        _package[0] ^= 1;

        var (exitCode, output) = await SigstoreVerifyAsync(bundle, WritePackage(), publicKey, keyId);

        exitCode.ShouldBe(1);
        output.ShouldContain("VerificationError");
    }

    [Fact]
    public async Task Sigstores_verifier_refuses_the_bundle_with_another_publishers_key()
    {
        var (bundle, _, keyId) = BundleOf(_package);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherKey = Path.Combine(_folder.FullName, "other.pub");
        File.WriteAllText(otherKey, other.ExportSubjectPublicKeyInfoPem());

        var (exitCode, _) = await SigstoreVerifyAsync(bundle, WritePackage(), otherKey, keyId);

        exitCode.ShouldBe(1);
    }

    /// <summary>A bundle made the registry's way, with the public key's file and its key id.</summary>
    private (string Bundle, string PublicKey, string KeyId) BundleOf(byte[] package)
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var publicKey = Path.Combine(_folder.FullName, "pub.pem");
        File.WriteAllText(publicKey, signer.ExportSubjectPublicKeyInfoPem());
        using var key = CapsuleSignatures.ReadPublicKey(File.ReadAllText(publicKey));
        var keyId = CapsuleSignatures.KeyIdOf(key);
        var bundle = Path.Combine(_folder.FullName, "package.sigstore.json");
        File.WriteAllText(bundle, SigstoreBundle.Create(package, signer.SignData(package, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), keyId));
        return (bundle, publicKey, keyId);
    }

    private static string SignatureOf(ECDsa signer, byte[] package) =>
        Convert.ToBase64String(signer.SignData(package, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    private string WritePackage()
    {
        var path = Path.Combine(_folder.FullName, "package.tar.gz");
        File.WriteAllBytes(path, _package);
        return path;
    }
}
