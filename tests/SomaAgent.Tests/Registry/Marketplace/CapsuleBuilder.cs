using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SomaAgent.Registry.Signing;

namespace SomaAgent.Tests.Registry.Marketplace;

/// <summary>A publisher's key pair, as `cosign generate-key-pair` or openssl would make it.</summary>
internal sealed class TestPublisher : IDisposable
{
    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public string PublicPem => Key.ExportSubjectPublicKeyInfoPem();

    public string KeyId => CapsuleSignatures.KeyIdOf(Key);

    /// <summary>ECDSA P-256 / SHA-256 over the bytes, DER, base64: what cosign's `.sig` holds.</summary>
    public string Sign(byte[] package) =>
        Convert.ToBase64String(Key.SignData(package, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    public void Dispose() => Key.Dispose();
}

/// <summary>Capsule packages (.tar.gz) with a manifest and a readme.</summary>
internal static class CapsuleBuilder
{
    public static string Manifest(string name, string version, string description = "Answers questions about the weather.",
        string publisher = "Acme Labs", string[]? tags = null, string? extra = null) =>
        $"""
        name: {name}
        version: {version}
        description: {description}
        publisher: {publisher}
        tags: [{string.Join(", ", tags ?? ["weather"])}]
        system_prompt: You answer questions about the weather.
        tools:
          builtin: [calculator]
        readme: README.md
        {extra}
        """;

    public static byte[] Package(string name, string version, string? manifest = null, params (string Path, string Content)[] extraFiles)
    {
        var files = new List<(string, string)> { ("capsule.yaml", manifest ?? Manifest(name, version)), ("README.md", $"# {name}\n\nVersion {version}.") };
        files.AddRange(extraFiles);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }
        return buffer.ToArray();
    }

    /// <summary>A package padded with a file of random (incompressible) bytes to about <paramref name="size"/> bytes.</summary>
    public static byte[] PackageOfSize(string name, string version, int size)
    {
        var filler = Convert.ToBase64String(RandomNumberGenerator.GetBytes(size * 3 / 4));
        return Package(name, version, null, ("data/filler.txt", filler));
    }
}
