namespace Runner.Core.Llm;

/// <summary>Why an LLM call failed for good (after retries, or at once).</summary>
public enum LlmFailureKind
{
    /// <summary>Every attempt failed with a retryable error.</summary>
    RetriesExhausted,

    /// <summary>The call outlived <c>LLM_MAX_DURATION</c>.</summary>
    MaxDurationExceeded,

    /// <summary>The server (or the fleet pause) asked to wait longer than the client waits in place.</summary>
    RateLimited,

    /// <summary>A 429 that says a usage or quota limit of the plan was reached: not a throttle.</summary>
    QuotaExceeded,

    /// <summary>401: the API key was refused.</summary>
    Unauthorized,

    /// <summary>403: the key may not use this model or endpoint.</summary>
    Forbidden,

    /// <summary>404: the model (or the endpoint) does not exist.</summary>
    ModelNotFound,

    /// <summary>Any other 4xx: the request itself is wrong.</summary>
    Rejected,
}

/// <summary>
/// An LLM call that failed for good, in the LLM client's own terms: why, the last HTTP status, how long the server
/// asked to wait and whether a later call can succeed. What it means for a job is decided by the job's handler.
/// </summary>
public abstract class LlmException : Exception
{
    protected LlmException(LlmFailureKind kind, string message, int? statusCode, TimeSpan? retryAfter, Exception? innerException)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public LlmFailureKind Kind { get; }

    /// <summary>The last HTTP status, when the last attempt got one.</summary>
    public int? StatusCode { get; }

    /// <summary>The earliest moment, from now, at which a new call can succeed.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>False when retrying cannot fix it (bad key, unknown model, rejected request).</summary>
    public abstract bool IsTransient { get; }
}

/// <summary>An LLM failure worth retrying later, after <see cref="LlmException.RetryAfter"/> when the server said so.</summary>
public sealed class LlmTransientException : LlmException
{
    public LlmTransientException(
        LlmFailureKind kind, string message, int attempts, int? statusCode = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(kind, message, statusCode, retryAfter, innerException) => Attempts = attempts;

    public LlmTransientException() : this(LlmFailureKind.RetriesExhausted, "Failed to call LLM API", 0) { }

    public LlmTransientException(string message) : this(LlmFailureKind.RetriesExhausted, message, 0) { }

    public LlmTransientException(string message, Exception innerException)
        : this(LlmFailureKind.RetriesExhausted, message, 0, innerException: innerException) { }

    /// <summary>HTTP attempts made before giving up.</summary>
    public int Attempts { get; }

    public override bool IsTransient => true;
}

/// <summary>An LLM failure that retrying cannot fix (bad key, unknown model, rejected request).</summary>
public sealed class LlmPermanentException : LlmException
{
    public LlmPermanentException(LlmFailureKind kind, string message, int? statusCode = null, Exception? innerException = null)
        : base(kind, message, statusCode, null, innerException) { }

    public LlmPermanentException() : this(LlmFailureKind.Rejected, "LLM API rejected the request") { }

    public LlmPermanentException(string message) : this(LlmFailureKind.Rejected, message) { }

    public LlmPermanentException(string message, Exception innerException)
        : this(LlmFailureKind.Rejected, message, null, innerException) { }

    public override bool IsTransient => false;
}
