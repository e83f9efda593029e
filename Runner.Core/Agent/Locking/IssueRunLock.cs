using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Agent.Webhooks;
using Runner.Core.Queue;

namespace Runner.Core.Agent.Locking;

/// <summary>
/// The agent's locking policy: one run per issue, in arrival order. A run that finds the issue busy is deferred
/// (<see cref="JobDeferredException"/>: not an attempt, bounded by <c>RUNNER_DEFER_LIMIT</c>) and asks again soon; a
/// run that loses its lock goes back to the queue as a failed attempt.
/// </summary>
internal sealed class IssueRunLock(IssueLock issueLock, IOptions<AgentOptions> options, ILogger<IssueRunLock> logger)
{
    /// <summary>
    /// The oldest waiter asks again after this, the next one after twice this, and so on up to
    /// <see cref="MaxWaitPoll"/>: a freed lock is taken soon, and waiters far back do not poll for nothing.
    /// </summary>
    internal static readonly TimeSpan WaitPollStep = TimeSpan.FromMilliseconds(500);

    internal static readonly TimeSpan MaxWaitPoll = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan LostRetry = TimeSpan.FromSeconds(30);

    /// <exception cref="JobDeferredException">Another run holds the issue, or an older delivery waits for it.</exception>
    public async Task<IssueLockLease> AcquireAsync(IssueWebhook webhook, string delivery)
    {
        var attempt = await issueLock.TryAcquireAsync(webhook.Repository, webhook.Issue.Number, delivery, options.Value.LockTtl);
        if (attempt.Lease is { } lease)
        {
            return lease;
        }

        // The holder's remaining TTL says nothing about when it finishes (a live run keeps extending it), so the
        // place in the queue decides how soon to ask again.
        var retryAfter = WaitPollStep * Math.Min(attempt.Ahead + 1, MaxWaitPoll / WaitPollStep);
        logger.LogDebug("{Repository}#{Number} is busy with another run; delivery {Delivery} waits ({Ahead} ahead), asking again in {RetryAfterMs} ms",
            webhook.Repository, webhook.Issue.Number, delivery, attempt.Ahead, (long)retryAfter.TotalMilliseconds);
        throw new JobDeferredException(
            $"{webhook.Repository}#{webhook.Issue.Number} is being handled by another run; this one runs after it", retryAfter);
    }

    /// <summary>The job outcome of a run whose lock expired and was taken by another run.</summary>
    public static TransientJobException Lost(IssueWebhook webhook) =>
        new($"Lost the lock on {webhook.Repository}#{webhook.Issue.Number} to another run", LostRetry);
}
