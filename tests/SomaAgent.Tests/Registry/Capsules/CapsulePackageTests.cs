using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using SomaAgent.Capsules;

namespace SomaAgent.Tests.Registry.Capsules;

/// <summary>A package is read without touching the disk, and refused whole on any entry that could escape or overflow.</summary>
public sealed class CapsulePackageTests
{
    private const string Manifest = "name: weather-bot\nversion: 1.0.0\ndescription: Weather.\npublisher: Acme\nreadme: README.md\n";

    [Fact]
    public void A_package_gives_its_manifest_its_markdown_and_every_files_size()
    {
        using var package = TarGz(
            File("capsule.yaml", Manifest),
            File("README.md", "# Weather bot"),
            Folder("prompts"),
            File("prompts/system.txt", new string('x', 5000)),
            File("prompts/empty.txt", ""));

        var read = CapsulePackage.Read(package);

        read.ManifestYaml.ShouldBe(Manifest);
        read.TextFiles["README.md"].ShouldBe("# Weather bot");
        read.TextFiles.Keys.ShouldBe(["capsule.yaml", "README.md"], ignoreOrder: true);
        read.Files.ShouldBe([
            new CapsuleFile("capsule.yaml", Manifest.Length), new CapsuleFile("README.md", 13),
            new CapsuleFile("prompts/system.txt", 5000), new CapsuleFile("prompts/empty.txt", 0)]);
    }

    [Fact]
    public void Paths_are_cleaned_of_dot_segments_and_leading_dot_slash()
    {
        using var package = TarGz(File("./capsule.yaml", Manifest), File("docs/./guide.md", "g"));

        CapsulePackage.Read(package).Files.Select(f => f.Path).ShouldBe(["capsule.yaml", "docs/guide.md"]);
    }

    [Theory]
    [InlineData("../evil.sh", "leaves the package")]
    [InlineData("docs/../../evil.sh", "leaves the package")]
    [InlineData("/etc/cron.d/evil", "not a relative path")]
    [InlineData("C:/Windows/evil.dll", "not a relative path")]
    [InlineData("docs\\..\\evil", "not a relative path")]
    public void An_entry_that_could_land_outside_the_package_is_refused(string path, string reason)
    {
        using var package = TarGz(File("capsule.yaml", Manifest), File(path, "x"));

        Should.Throw<CapsulePackageException>(() => CapsulePackage.Read(package)).Message.ShouldContain(reason);
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink, "symbolic link")]
    [InlineData(TarEntryType.HardLink, "hard link")]
    [InlineData(TarEntryType.CharacterDevice, "device file")]
    [InlineData(TarEntryType.BlockDevice, "device file")]
    [InlineData(TarEntryType.Fifo, "named pipe")]
    public void Links_devices_and_pipes_are_refused(TarEntryType type, string kind)
    {
        var special = new PaxTarEntry(type, "innocent.txt");
        if (type is TarEntryType.SymbolicLink or TarEntryType.HardLink)
        {
            special.LinkName = "/etc/passwd";
        }
        using var package = TarGz(File("capsule.yaml", Manifest), special);

        Should.Throw<CapsulePackageException>(() => CapsulePackage.Read(package)).Message.ShouldContain(kind);
    }

    [Fact]
    public void A_compression_bomb_is_refused_once_it_unpacks_past_the_limit()
    {
        // 64 MiB of zeros compress to about 64 KiB; the limit is 1 MiB.
        var bomb = new PaxTarEntry(TarEntryType.RegularFile, "zeros.bin") { DataStream = new ZeroStream(64L * 1024 * 1024) };
        using var package = TarGz(File("capsule.yaml", Manifest), bomb);
        package.Length.ShouldBeLessThan(1024 * 1024);

        Should.Throw<CapsulePackageException>(() => CapsulePackage.Read(package, new CapsulePackageLimits(MaxUnpackedBytes: 1024 * 1024)))
            .Message.ShouldContain("unpacks to more than");
    }

    [Fact]
    public void Too_many_entries_are_refused()
    {
        using var package = TarGz([File("capsule.yaml", Manifest), .. Enumerable.Range(0, 20).Select(i => File($"f{i}.txt", "x"))]);

        Should.Throw<CapsulePackageException>(() => CapsulePackage.Read(package, new CapsulePackageLimits(MaxEntries: 10)))
            .Message.ShouldContain("more than 10 entries");
    }

    [Fact]
    public void A_package_without_a_manifest_at_its_root_is_refused()
    {
        using var package = TarGz(File("docs/capsule.yaml", Manifest));

        Should.Throw<CapsulePackageException>(() => CapsulePackage.Read(package)).Message.ShouldContain("no capsule.yaml at its root");
    }

    [Fact]
    public void A_file_given_twice_is_refused()
    {
        using var package = TarGz(File("capsule.yaml", Manifest), File("./capsule.yaml", "name: other\n"));

        Should.Throw<CapsulePackageException>(() => CapsulePackage.Read(package)).Message.ShouldContain("twice");
    }

    [Fact]
    public void Bytes_that_are_not_a_tar_gz_are_refused_with_a_reason()
    {
        using var package = new MemoryStream(Encoding.UTF8.GetBytes("this is not a package"));

        Should.Throw<CapsulePackageException>(() => CapsulePackage.Read(package)).Message.ShouldContain("not a readable .tar.gz");
    }

    private static PaxTarEntry File(string path, string content) =>
        new(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    private static PaxTarEntry Folder(string path) => new(TarEntryType.Directory, path);

    private static MemoryStream TarGz(params TarEntry[] entries)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                tar.WriteEntry(entry);
            }
        }
        output.Position = 0;
        return output;
    }

    /// <summary>A stream of <paramref name="length"/> zero bytes that never holds them in memory (seekable, as a tar writer needs).</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
