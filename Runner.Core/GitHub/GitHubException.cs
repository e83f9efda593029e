namespace Runner.Core.GitHub;

/// <summary>
/// A GitHub call that failed, in GitHub's own terms: the answer's status, how long GitHub asked to wait and whether
/// asking again can succeed. The message names the operation, the subject and the status, never a credential.
/// What a failure means for a job is decided by the job's handler, not here.
/// </summary>
public sealed class GitHubException : Exception
{
    public GitHubException(string message, bool isTransient, int? statusCode = null, TimeSpan? retryAfter = null,
        Exception? innerException = null)
        : base(message, innerException)
    {
        IsTransient = isTransient;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public GitHubException() : this("GitHub call failed", isTransient: true) { }

    public GitHubException(string message) : this(message, isTransient: true) { }

    public GitHubException(string message, Exception innerException) : this(message, true, null, null, innerException) { }

    /// <summary>False when the same request cannot succeed later (a 4xx other than 408/429).</summary>
    public bool IsTransient { get; }

    /// <summary>GitHub's HTTP status, when it answered.</summary>
    public int? StatusCode { get; }

    /// <summary>The earliest moment, from now, at which asking again can succeed (a rate limit's reset).</summary>
    public TimeSpan? RetryAfter { get; }
}
