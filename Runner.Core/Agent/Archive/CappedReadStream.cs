using Runner.Core.IO;

namespace Runner.Core.Agent.Archive;

/// <summary>Reads through to another stream and stops with <see cref="SizeCapExceededException"/> past a byte cap,
/// so a huge download or a decompression bomb costs at most the cap.</summary>
internal sealed class CappedReadStream(Stream inner, long maxBytes, string what) : ReadThroughStream(inner)
{
    public long BytesRead { get; private set; }

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    protected override int Observe(int read)
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
