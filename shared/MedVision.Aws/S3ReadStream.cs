using Amazon.S3.Model;

namespace MedVision.Aws;

/// <summary>
/// An S3 GetObject body as a read-only stream: it owns the response (disposing the stream releases the connection),
/// and a failure while reading (a connection dropped mid-body) reaches the caller as StorageUnavailableException
/// like every other S3 failure.
/// </summary>
internal sealed class S3ReadStream(GetObjectResponse response, string key) : Stream
{
    private readonly Stream body = response.ResponseStream;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => response.ContentLength;

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return body.Read(buffer, offset, count);
        }
        catch (Exception e) when (S3Errors.Map("GetObject", key, e, CancellationToken.None) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await body.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (S3Errors.Map("GetObject", key, e, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
            response.Dispose();
        }

        base.Dispose(disposing);
    }
}
