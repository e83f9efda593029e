
using Runner.Core.Timing;

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
        var delay = Backoff.Delay(failedAttempt, baseDelay, maxDelay, 0.5, jitter);
        return retryAfter is { } wanted && wanted > delay ? wanted : delay;
    }
}
