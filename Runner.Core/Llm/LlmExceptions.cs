using Runner.Core.Queue;

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

/// <summary>An LLM failure worth retrying later: the queue retries the job (after <see cref="TransientJobException.RetryAfter"/>).</summary>
public sealed class LlmTransientException : TransientJobException
{
    public LlmTransientException(
        LlmFailureKind kind, string message, int attempts, int? statusCode = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, retryAfter, innerException)
    {
        Kind = kind;
        Attempts = attempts;
        StatusCode = statusCode;
    }

    public LlmTransientException() : this(LlmFailureKind.RetriesExhausted, "Failed to call LLM API", 0) { }

    public LlmTransientException(string message) : this(LlmFailureKind.RetriesExhausted, message, 0) { }

    public LlmTransientException(string message, Exception innerException)
        : this(LlmFailureKind.RetriesExhausted, message, 0, innerException: innerException) { }

    public LlmFailureKind Kind { get; }

    /// <summary>HTTP attempts made before giving up.</summary>
    public int Attempts { get; }

    /// <summary>The last HTTP status, when the last attempt got one.</summary>
    public int? StatusCode { get; }
}

/// <summary>An LLM failure that retrying cannot fix (bad key, unknown model, rejected request).</summary>
public sealed class LlmPermanentException : PermanentJobException
{
    public LlmPermanentException(LlmFailureKind kind, string message, int? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    public LlmPermanentException() : this(LlmFailureKind.Rejected, "LLM API rejected the request") { }

    public LlmPermanentException(string message) : this(LlmFailureKind.Rejected, message) { }

    public LlmPermanentException(string message, Exception innerException)
        : this(LlmFailureKind.Rejected, message, null, innerException) { }

    public LlmFailureKind Kind { get; }

    public int? StatusCode { get; }
}
