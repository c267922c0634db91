using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace SomaAgent.Registry.Artifacts;

/// <summary>
/// The artifact store on S3 (MinIO in the containers topology): one object per blob, keyed <c>sha256/{digest}</c>. The
/// bytes are hashed into a temporary file first, so the object is written once under its final key with its length
/// known, and never half-written.
/// </summary>
public sealed class S3ArtifactStore(IAmazonS3 s3, string bucket) : IArtifactStore
{
    public async Task<string> PutAsync(Stream content, CancellationToken cancellationToken)
    {
        var temporary = Path.GetTempFileName();
        try
        {
            string digest;
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, useAsync: true))
            {
                digest = await ArtifactDigest.CopyAsync(content, file, cancellationToken);
                file.Position = 0;
                if (!await ExistsAsync(digest, cancellationToken))
                {
                    await s3.PutObjectAsync(new PutObjectRequest
                    {
                        BucketName = bucket,
                        Key = KeyOf(digest),
                        InputStream = file,
                        AutoCloseStream = false,
                        ContentType = "application/octet-stream",
                        // Path-style servers such as MinIO and s3rver store chunk-encoded bodies with their chunk headers.
                        UseChunkEncoding = false,
                    }, cancellationToken);
                }
            }
            return digest;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public async Task<Stream?> OpenAsync(string digest, CancellationToken cancellationToken)
    {
        try
        {
            var response = await s3.GetObjectAsync(bucket, KeyOf(digest), cancellationToken);
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> ExistsAsync(string digest, CancellationToken cancellationToken)
    {
        try
        {
            await s3.GetObjectMetadataAsync(bucket, KeyOf(digest), cancellationToken);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string digest, CancellationToken cancellationToken) =>
        await s3.DeleteObjectAsync(bucket, KeyOf(digest), cancellationToken);

    /// <summary>Creates the bucket when it is not there yet.</summary>
    public async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists")
        {
        }
    }

    private static string KeyOf(string digest)
    {
        ArtifactDigest.ThrowIfInvalid(digest);
        return $"sha256/{digest}";
    }

    /// <summary>The object's body, which also disposes the response that owns it.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _body = response.ResponseStream;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.ContentLength;
        public override long Position { get => _body.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _body.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _body.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            _body.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
