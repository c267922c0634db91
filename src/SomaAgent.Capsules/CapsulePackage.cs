using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace SomaAgent.Capsules;

/// <summary>How much a package may hold once unpacked; a package beyond any of them is refused as a whole.</summary>
/// <param name="MaxEntries">Entries (files and folders).</param>
/// <param name="MaxUnpackedBytes">All files together, as unpacked: what stops a compression bomb.</param>
/// <param name="MaxKeptFileBytes">The largest text file kept in memory for the registry to serve (the manifest, markdown).</param>
public sealed record CapsulePackageLimits(int MaxEntries = 1000, long MaxUnpackedBytes = 200L * 1024 * 1024, int MaxKeptFileBytes = 1024 * 1024);

/// <summary>A file of a package: its path (forward slashes, relative) and size.</summary>
public sealed record CapsuleFile(string Path, long Size);

/// <summary>A package that passed <see cref="CapsulePackage.Read"/>: its manifest text, its files, and its markdown.</summary>
public sealed record CapsulePackage(string ManifestYaml, IReadOnlyList<CapsuleFile> Files, IReadOnlyDictionary<string, string> TextFiles)
{
    public const string ManifestPath = "capsule.yaml";

    /// <summary>
    /// Reads a <c>.tar.gz</c> package without writing anything to disk, refusing it on the first entry that could
    /// escape a folder it were unpacked into (<c>..</c>, absolute paths, backslashes), that is not a plain file or
    /// folder (links, devices, pipes), or that goes over <paramref name="limits"/>. Sizes are counted as the bytes
    /// come out of the decompressor, not as the headers claim.
    /// </summary>
    /// <exception cref="CapsulePackageException">The package is refused; the message says why.</exception>
    public static CapsulePackage Read(Stream package, CapsulePackageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        limits ??= new CapsulePackageLimits();
        var files = new List<CapsuleFile>();
        var text = new Dictionary<string, string>(StringComparer.Ordinal);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var entries = 0;
        long unpacked = 0;
        try
        {
            using var gzip = new GZipStream(package, CompressionMode.Decompress, leaveOpen: true);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry(copyData: false) is { } entry)
            {
                if (++entries > limits.MaxEntries)
                {
                    throw new CapsulePackageException($"The package has more than {limits.MaxEntries} entries.");
                }
                var path = SafePath(entry.Name);
                if (entry.EntryType is TarEntryType.Directory)
                {
                    continue;
                }
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    throw new CapsulePackageException($"'{path}' is a {Describe(entry.EntryType)}; a package holds only files and folders.");
                }
                if (!paths.Add(path))
                {
                    throw new CapsulePackageException($"'{path}' is in the package twice.");
                }
                var keep = path == ManifestPath || path.EndsWith(".md", StringComparison.OrdinalIgnoreCase);
                var (size, content) = Drain(entry.DataStream, keep ? limits.MaxKeptFileBytes : 0, limits.MaxUnpackedBytes - unpacked, path);
                unpacked += size;
                files.Add(new CapsuleFile(path, size));
                if (content is not null)
                {
                    text[path] = content;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new CapsulePackageException($"The package is not a readable .tar.gz: {ex.Message}");
        }

        if (!text.TryGetValue(ManifestPath, out var manifest))
        {
            throw new CapsulePackageException(files.Exists(f => f.Path == ManifestPath)
                ? $"{ManifestPath} is larger than {limits.MaxKeptFileBytes / 1024} KiB."
                : $"The package has no {ManifestPath} at its root.");
        }
        return new CapsulePackage(manifest, files, text);
    }

    /// <summary>The entry's path as a clean relative path, or a refusal when it could point outside the package.</summary>
    private static string SafePath(string name)
    {
        if (name.Length == 0 || name.Contains('\\', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal)
            || name.StartsWith('/') || Path.IsPathRooted(name) || (name.Length > 1 && name[1] == ':'))
        {
            throw new CapsulePackageException($"'{Printable(name)}' is not a relative path inside the package.");
        }
        var segments = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToList();
        if (segments.Count == 0 || segments.Contains(".."))
        {
            throw new CapsulePackageException($"'{Printable(name)}' leaves the package ('..').");
        }
        return string.Join('/', segments);
    }

    /// <summary>Reads an entry to its end, counting every byte; keeps it as UTF-8 text when it fits <paramref name="keepUpTo"/>.</summary>
    private static (long Size, string? Content) Drain(Stream? data, int keepUpTo, long budget, string path)
    {
        if (data is null)
        {
            return (0, keepUpTo > 0 ? "" : null);
        }
        using var kept = new MemoryStream();
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = data.Read(buffer, 0, buffer.Length)) > 0)
        {
            size += read;
            if (size > budget)
            {
                throw new CapsulePackageException($"The package unpacks to more than the registry allows (at '{path}').");
            }
            if (size <= keepUpTo)
            {
                kept.Write(buffer, 0, read);
            }
        }
        return (size, keepUpTo > 0 && size <= keepUpTo ? Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length) : null);
    }

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.SymbolicLink => "symbolic link",
        TarEntryType.HardLink => "hard link",
        TarEntryType.CharacterDevice or TarEntryType.BlockDevice => "device file",
        TarEntryType.Fifo => "named pipe",
        _ => $"{type} entry",
    };

    private static string Printable(string name) => name.Length <= 200 ? name.Replace("\0", "\\0", StringComparison.Ordinal) : name[..200] + "…";
}

/// <summary>A package the registry refuses to take; the message is meant for the publisher.</summary>
public sealed class CapsulePackageException(string message) : Exception(message);
