
namespace Runner.Core.Queue;

/// <summary>Exponential backoff with "equal jitter" between job-level attempts; a longer Retry-After wins.</summary>
public sealed class RetryPolicy(TimeSpan baseDelay, TimeSpan maxDelay)
{
    public RetryPolicy(QueueOptions options) : this(options.RetryBaseDelay, options.RetryMaxDelay)
    {
    }

    /// <param name="failedAttempt">The attempt that just failed (1 for the first run).</param>
    /// <param name="retryAfter">What the failure asked for, if anything.</param>
    /// <param name="jitter">A sample in [0, 1): spreads retries of jobs that failed together (e.g. an outage).</param>
    public TimeSpan Delay(int failedAttempt, TimeSpan? retryAfter, double jitter)
    {
        var exponent = Math.Clamp(failedAttempt - 1, 0, 30);
        var ceiling = Math.Min(maxDelay.Ticks, baseDelay.Ticks * Math.Pow(2, exponent));
        var delay = TimeSpan.FromTicks((long)(ceiling / 2 + ceiling / 2 * Math.Clamp(jitter, 0, 1)));
        return retryAfter is { } wanted && wanted > delay ? wanted : delay;
    }
}
