namespace Runner.Core.Agent.Archive;

/// <summary>Reads through to another stream and stops with <see cref="SizeCapExceededException"/> past a byte cap,
/// so a huge download or a decompression bomb costs at most the cap.</summary>
internal sealed class CappedReadStream(Stream inner, long maxBytes, string what) : Stream
{
    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

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
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Count(int read)
    {
        BytesRead += read;
        return BytesRead > maxBytes ? throw new SizeCapExceededException(what, maxBytes) : read;
    }
}

internal sealed class SizeCapExceededException : Exception
{
    public SizeCapExceededException(string what, long maxBytes)
        : base($"{what} is larger than {ByteSize.Format(maxBytes)}")
    {
    }

    public SizeCapExceededException()
    {
    }

    public SizeCapExceededException(string message) : base(message)
    {
    }

    public SizeCapExceededException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
