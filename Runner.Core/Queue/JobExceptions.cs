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

/// <summary>
/// The job cannot run yet but nothing failed (e.g. its issue is busy with another run): it goes back to the queue
/// with the same attempt, due after <see cref="RetryAfter"/>. A deferral does not count as an attempt; how long one
/// attempt may keep being deferred is bounded by <c>RUNNER_DEFER_LIMIT</c>, after which it is dead-lettered.
/// </summary>
public class JobDeferredException : Exception
{
    public JobDeferredException(string message, TimeSpan retryAfter, Exception? innerException = null)
        : base(message, innerException) => RetryAfter = retryAfter;

    public JobDeferredException() : this("Deferred", TimeSpan.Zero) { }

    public JobDeferredException(string message) : this(message, TimeSpan.Zero) { }

    public JobDeferredException(string message, Exception innerException) : this(message, TimeSpan.Zero, innerException) { }

    /// <summary>When, from now, the job should be looked at again.</summary>
    public TimeSpan RetryAfter { get; }
}
