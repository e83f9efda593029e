namespace Runner.Core.Queue;

/// <summary>A failure that a later attempt may not hit: the job is retried with backoff.</summary>
public class TransientJobException : Exception
{
    public TransientJobException(string message, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException) => RetryAfter = retryAfter;

    public TransientJobException() : this("Transient failure") { }

    public TransientJobException(string message) : this(message, null, null) { }

    public TransientJobException(string message, Exception innerException) : this(message, null, innerException) { }

    /// <summary>The earliest moment, from now, at which a retry can succeed (e.g. a rate limit's reset).</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>A failure that retrying cannot fix: the job goes to the dead-letter stream at once.</summary>
public class PermanentJobException : Exception
{
    public PermanentJobException(string message, Exception? innerException = null) : base(message, innerException) { }

    public PermanentJobException() : this("Permanent failure") { }

    public PermanentJobException(string message) : this(message, null) { }
}
