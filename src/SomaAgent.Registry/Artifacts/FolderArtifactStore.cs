namespace SomaAgent.Registry.Artifacts;

/// <summary>
/// The embedded artifact store: one file per blob under <c>{root}/sha256/ab/abcdef…</c>. A blob is written to a
/// temporary file first and moved into place once complete, so a reader never sees half a blob.
/// </summary>
public sealed class FolderArtifactStore(string root) : IArtifactStore
{
    public string Root { get; } = Path.GetFullPath(root);

    public async Task<string> PutAsync(Stream content, CancellationToken cancellationToken)
    {
        var incoming = Path.Combine(Root, "incoming");
        Directory.CreateDirectory(incoming);
        var temporary = Path.Combine(incoming, $"{Guid.NewGuid():N}.part");
        try
        {
            string digest;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                digest = await ArtifactDigest.CopyAsync(content, file, cancellationToken);
                await file.FlushAsync(cancellationToken);
            }
            var path = PathOf(digest);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Same bytes, same name: a blob that is there already is the same blob.
            File.Move(temporary, path, overwrite: true);
            return digest;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public Task<Stream?> OpenAsync(string digest, CancellationToken cancellationToken)
    {
        var path = PathOf(digest);
        try
        {
            return Task.FromResult<Stream?>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathOf(digest)));

    public Task DeleteAsync(string digest, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(digest));
        return Task.CompletedTask;
    }

    private string PathOf(string digest)
    {
        ArtifactDigest.ThrowIfInvalid(digest);
        return Path.Combine(Root, "sha256", digest[..2], digest);
    }
}
