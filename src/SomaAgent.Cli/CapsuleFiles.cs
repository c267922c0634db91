using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using SomaAgent.Capsules;

namespace SomaAgent.Cli;

/// <summary>What <c>soma capsule</c> does with files: key pairs, packages and signatures, as cosign and openssl do.</summary>
internal static class CapsuleFiles
{
    /// <summary>Writes an ECDSA P-256 key pair: the private key readable by the user only, the public key beside it.</summary>
    public static (string PrivateKey, string PublicKey) GenerateKeyPair(string folder)
    {
        Directory.CreateDirectory(folder);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var privatePath = Path.Combine(folder, "capsule.key");
        var publicPath = Path.Combine(folder, "capsule.pub");
        if (File.Exists(privatePath))
        {
            throw new IOException($"{privatePath} exists; a key pair is never overwritten.");
        }
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(privatePath, options))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }
        File.WriteAllText(publicPath, key.ExportSubjectPublicKeyInfoPem() + "\n");
        return (privatePath, publicPath);
    }

    /// <summary>ECDSA P-256 / SHA-256 over the file's bytes, DER, base64: cosign's <c>.sig</c>, what the registry checks.</summary>
    public static string Sign(byte[] package, string privateKeyPath)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(privateKeyPath));
        return Convert.ToBase64String(key.SignData(package, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    /// <summary>The registry's id of the key's public half: <c>sha256:</c> and the hex SHA-256 of its SubjectPublicKeyInfo.</summary>
    public static string KeyIdOf(string privateKeyPath)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(privateKeyPath));
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    public static string PublicPemOf(string privateKeyPath)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(privateKeyPath));
        return key.ExportSubjectPublicKeyInfoPem();
    }

    /// <summary>Every problem of the folder's <c>capsule.yaml</c>, as the Registry's lint reports them.</summary>
    public static IReadOnlyList<LintProblem> Lint(string folder) => Load(folder).Lint.Problems;

    /// <summary>The folder's <c>capsule.yaml</c> as written, and what the Registry's lint makes of it.</summary>
    public static (string Yaml, LintResult Lint) Load(string folder)
    {
        var manifest = Path.Combine(folder, "capsule.yaml");
        if (!File.Exists(manifest))
        {
            return ("", new LintResult(null, [new LintProblem("", null, $"{Path.GetFullPath(folder)} has no capsule.yaml; start one with soma capsule init <name>.")]));
        }
        var yaml = File.ReadAllText(manifest);
        return (yaml, CapsuleLint.Check(yaml));
    }

    /// <summary>A new capsule folder (its last segment is the capsule's name): a manifest using the calculator, and a readme.</summary>
    public static string Init(string folder)
    {
        if (Directory.Exists(folder))
        {
            throw new IOException($"{folder} exists; soma capsule init starts a new folder.");
        }
        var name = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "capsule.yaml"), $"""
            # yaml-language-server: $schema=http://localhost:8010/v1/capsule-schema
            name: {name}
            version: 0.1.0
            description: What {name} does, in one or two sentences.
            publisher: Your name
            tags: [example]
            system_prompt: |
              You are {name}. Answer briefly.
            tools:
              builtin: [calculator]
            limits:
              max_turns: 20
              max_tool_calls: 10
            readme: README.md
            # soma capsule test sends each prompt in a new session with this capsule and checks the answer.
            tests:
              - name: multiplies with the calculator
                prompt: What is 12*7?
                expect:
                  contains: ["84"]
                  tools: [calculator]

            """);
        File.WriteAllText(Path.Combine(folder, "README.md"), $"# {name}\n\nWhat it does, and how to use it.\n");
        return folder;
    }

    /// <summary>
    /// Packs the capsule folder (it must hold <c>capsule.yaml</c>) as <c>.tar.gz</c>: regular files only, relative paths,
    /// sorted, hidden files and folders left out, so the same folder packs to the same bytes the registry accepts.
    /// </summary>
    public static byte[] Pack(string folder)
    {
        var root = Path.GetFullPath(folder);
        if (!File.Exists(Path.Combine(root, "capsule.yaml")))
        {
            throw new IOException($"{root} has no capsule.yaml.");
        }
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part.StartsWith('.')) && !f.EndsWith(".tar.gz", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in files)
            {
                var info = new FileInfo(Path.Combine(root, file));
                if (info.LinkTarget is not null)
                {
                    throw new IOException($"{file} is a link; a capsule holds only files.");
                }
                using var content = info.OpenRead();
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, file) { DataStream = content, ModificationTime = DateTimeOffset.UnixEpoch });
            }
        }
        var package = buffer.ToArray();
        // What the Registry will check: refuse here what it would refuse there.
        CapsulePackage.Read(new MemoryStream(package));
        return package;
    }
}
