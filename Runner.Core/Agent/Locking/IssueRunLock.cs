using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Agent.Webhooks;
using Runner.Core.Queue;

namespace Runner.Core.Agent.Locking;

/// <summary>
/// The agent's locking policy: one run per issue; a run that finds the issue busy, or loses its lock, goes back to
/// the queue to run after the holder.
/// </summary>
internal sealed class IssueRunLock(IssueLock issueLock, IOptions<AgentOptions> options, ILogger<IssueRunLock> logger)
{
    private static readonly TimeSpan MinBusyRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBusyRetry = TimeSpan.FromSeconds(30);

    /// <exception cref="TransientJobException">Another run holds the issue: retried when its lock would expire.</exception>
    public async Task<IssueLockLease> AcquireAsync(IssueWebhook webhook) =>
        await issueLock.TryAcquireAsync(webhook.Repository, webhook.Issue.Number, options.Value.LockTtl)
        ?? throw await BusyAsync(webhook);

    /// <summary>The job outcome of a run whose lock expired and was taken by another run.</summary>
    public static TransientJobException Lost(IssueWebhook webhook) =>
        new($"Lost the lock on {webhook.Repository}#{webhook.Issue.Number} to another run", MaxBusyRetry);

    private async Task<TransientJobException> BusyAsync(IssueWebhook webhook)
    {
        var remaining = await issueLock.RemainingAsync(webhook.Repository, webhook.Issue.Number) ?? MinBusyRetry;
        var retryAfter = TimeSpan.FromTicks(Math.Clamp(remaining.Ticks, MinBusyRetry.Ticks, MaxBusyRetry.Ticks));
        logger.LogInformation("{Repository}#{Number} is busy with another run; retrying in {RetryAfterMs} ms",
            webhook.Repository, webhook.Issue.Number, (long)retryAfter.TotalMilliseconds);
        return new TransientJobException(
            $"{webhook.Repository}#{webhook.Issue.Number} is being handled by another run; this one runs after it", retryAfter);
    }
}
