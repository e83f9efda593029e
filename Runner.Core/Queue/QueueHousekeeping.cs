using Microsoft.Extensions.Logging;

namespace Runner.Core.Queue;

/// <summary>
/// The worker's periodic loops beside reading: heartbeats for the entries it holds, moving due retries back onto the
/// stream, and trimming acknowledged history. Each loop survives Redis outages (one warning, capped backoff).
/// </summary>
internal sealed class QueueHousekeeping(
    QueueStore store, QueueOptions options, InFlightJobs inFlight, RetryWakeup retryWakeup, RedisOutage outage,
    TimeProvider timeProvider, ILogger logger)
{
    private readonly HashSet<string> reportedLost = new(StringComparer.Ordinal);

    /// <summary>Runs until <paramref name="cancellationToken"/>: keep it going while jobs drain at shutdown.</summary>
    public Task RunHeartbeatsAsync(CancellationToken cancellationToken) =>
        RunLoopAsync(HeartbeatAsync, SleepAsync, options.HeartbeatInterval, cancellationToken);

    public Task RunRetryMoverAsync(CancellationToken cancellationToken) =>
        RunLoopAsync(MoveRetriesAsync, retryWakeup.SleepAsync, TimeSpan.Zero, cancellationToken);

    public Task RunTrimmerAsync(CancellationToken cancellationToken) =>
        RunLoopAsync(TrimAsync, SleepAsync, options.TrimInterval, cancellationToken);

    private async Task<TimeSpan> HeartbeatAsync()
    {
        var held = inFlight.Snapshot();
        reportedLost.RemoveWhere(id => !inFlight.Contains(id));
        if (held.Count > 0)
        {
            foreach (var id in await store.HeartbeatAsync(held, options.Consumer, options.ClaimIdle))
            {
                if (inFlight.Contains(id) && reportedLost.Add(id))
                {
                    logger.LogWarning("Entry {StreamId} is no longer pending for {Consumer}: another consumer may have claimed or acknowledged it",
                        id, options.Consumer);
                }
            }
        }

        return options.HeartbeatInterval;
    }

    private async Task<TimeSpan> MoveRetriesAsync()
    {
        var now = timeProvider.GetUtcNow();
        var (moved, nextDue) = await store.MoveDueRetriesAsync(now);
        if (moved > 0)
        {
            logger.LogDebug("Moved {Count} due retries back onto {Stream}", moved, options.Stream);
            return TimeSpan.Zero;
        }

        var wait = options.RetryPollInterval;
        return nextDue is { } due && due - now < wait ? due - now : wait;
    }

    private async Task<TimeSpan> TrimAsync()
    {
        var removed = await store.TrimAsync(options.StreamRetain);
        if (removed > 0)
        {
            logger.LogDebug("Trimmed {Count} acknowledged entries from {Stream}", removed, options.Stream);
        }

        return options.TrimInterval;
    }

    /// <summary>Runs one step after another, sleeping what each step asks for; failures back off and retry.</summary>
    private async Task RunLoopAsync(Func<Task<TimeSpan>> step, Func<TimeSpan, CancellationToken, Task> sleep, TimeSpan firstDelay,
        CancellationToken cancellationToken)
    {
        var delay = firstDelay;
        for (var failures = 0; !cancellationToken.IsCancellationRequested;)
        {
            try
            {
                await sleep(delay, cancellationToken);
                delay = await step();
                outage.Succeeded();
                failures = 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                failures++;
                outage.Report(exception, step.Method.Name);
                delay = outage.Backoff(failures);
            }
        }
    }

    private Task SleepAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, timeProvider, cancellationToken) : Task.CompletedTask;
}
