using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>
/// Consumes the job stream as one consumer of the group: reads only as many entries as it has free slots, runs each
/// through the <see cref="IJobHandler"/> for its event, keeps running entries claimed, reclaims entries of consumers
/// that went silent, moves due retries back, trims acknowledged history, and drains on shutdown.
/// </summary>
public sealed class QueueWorker : BackgroundService
{
    private readonly QueueOptions options;
    private readonly QueueStore store;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly RedisOutage outage;
    private readonly JobSlots slots;
    private readonly InFlightJobs inFlight;
    private readonly BlockingReader reader;
    private readonly JobExecutor executor;
    private readonly QueueHousekeeping housekeeping;
    private readonly CancellationTokenSource abort = new();

    private string autoClaimCursor = "0-0";
    private string? lastReadId;

    /// <summary>Built by <c>AddRunnerQueue</c>: its parts are services registered there.</summary>
    internal QueueWorker(IOptions<QueueOptions> options, QueueStore store, BlockingReader reader, JobExecutor executor,
        QueueHousekeeping housekeeping, JobSlots slots, InFlightJobs inFlight, RedisOutage outage, TimeProvider timeProvider,
        ILogger<QueueWorker> logger)
    {
        this.options = options.Value;
        this.store = store;
        this.reader = reader;
        this.executor = executor;
        this.housekeeping = housekeeping;
        this.slots = slots;
        this.inFlight = inFlight;
        this.outage = outage;
        this.timeProvider = timeProvider;
        this.logger = logger;
    }

    /// <summary>Entries this process holds right now (read, running or waiting for Redis to take their outcome).</summary>
    public int InFlightCount => inFlight.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Queue worker {Consumer} reads {Stream} as group {Group}, {Concurrency} jobs at a time",
            options.Consumer, options.Stream, options.Group, options.Concurrency);
        if (!await RetryUntilDoneAsync(() => store.EnsureGroupAsync("0"), stoppingToken))
        {
            return;
        }

        using var loops = new CancellationTokenSource();
        var background = new[]
        {
            Task.Run(() => housekeeping.RunHeartbeatsAsync(loops.Token), CancellationToken.None),
            Task.Run(() => housekeeping.RunRetryMoverAsync(stoppingToken), CancellationToken.None),
            Task.Run(() => housekeeping.RunTrimmerAsync(stoppingToken), CancellationToken.None),
        };

        await ReadLoopAsync(stoppingToken);
        await reader.DisposeAsync();
        await DrainAsync();
        await loops.CancelAsync();
        await Task.WhenAll(background);
        logger.LogInformation("Queue worker {Consumer} stopped", options.Consumer);
    }

    public override void Dispose()
    {
        abort.Dispose();
        base.Dispose();
    }

    private async Task ReadLoopAsync(CancellationToken stoppingToken)
    {
        var recoverOwnFrom = (string?)"0";
        var recoveriesSeen = outage.Recoveries;
        var nextReclaim = timeProvider.GetUtcNow();
        for (var failures = 0; !stoppingToken.IsCancellationRequested;)
        {
            int free;
            try
            {
                free = await slots.AcquireAvailableAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var started = 0;
            try
            {
                if (outage.Recoveries != recoveriesSeen)
                {
                    // A read whose reply was lost in the outage left entries pending for us that we never saw.
                    // Reclaiming waits a little, so other replicas first heartbeat the jobs they kept running.
                    recoveriesSeen = outage.Recoveries;
                    recoverOwnFrom = "0";
                    nextReclaim = timeProvider.GetUtcNow() + options.HeartbeatInterval;
                }

                IReadOnlyList<Delivered> batch;
                if (recoverOwnFrom is not null)
                {
                    batch = await store.ReadOwnPendingAsync(options.Consumer, recoverOwnFrom, free);
                    recoverOwnFrom = batch.Count < free ? null : batch[^1].Entry.Id.ToString();
                }
                else if (timeProvider.GetUtcNow() >= nextReclaim)
                {
                    nextReclaim = timeProvider.GetUtcNow() + options.ReclaimInterval;
                    (batch, autoClaimCursor) = await store.AutoClaimAsync(options.Consumer, options.ClaimIdle, autoClaimCursor, free);
                    LogReclaimed(batch);
                }
                else
                {
                    var entries = await reader.ReadAsync(free, stoppingToken);
                    batch = [.. entries.Select(entry => new Delivered(entry, 1))];
                    if (entries.Count > 0)
                    {
                        lastReadId = entries[^1].Id.ToString();
                    }
                }

                outage.Succeeded();
                failures = 0;
                foreach (var delivered in batch)
                {
                    started += Start(delivered) ? 1 : 0;
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: whatever the read was doing no longer matters; the drain must still run.
                return;
            }
            catch (RedisServerException exception) when (IsMissingGroup(exception))
            {
                await RecreateGroupAsync(stoppingToken);
            }
            catch (Exception exception)
            {
                failures++;
                outage.Report(exception, "reading the stream");
                await DelayAsync(outage.Backoff(failures), stoppingToken);
            }
            finally
            {
                slots.Release(free - started);
            }
        }
    }

    private bool Start(Delivered delivered)
    {
        var held = new InFlightJob(delivered.Entry.Id.ToString(), options.Consumer);
        if (!inFlight.TryAdd(held))
        {
            return false;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await executor.RunAsync(delivered, held, abort.Token);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "Entry {StreamId} stays pending after an unexpected error; it is reclaimed later", held.StreamId);
            }
            finally
            {
                inFlight.Remove(held.StreamId);
                held.Finished();
                slots.Release();
            }
        }, CancellationToken.None);
        return true;
    }

    /// <summary>Lets running jobs finish for up to RUNNER_SHUTDOWN_TIMEOUT; the rest stay pending for another replica.</summary>
    private async Task DrainAsync()
    {
        if (inFlight.Count == 0)
        {
            return;
        }

        logger.LogInformation("Stopping: waiting up to {TimeoutSeconds} s for {Count} running jobs",
            options.ShutdownTimeout.TotalSeconds, inFlight.Count);
        try
        {
            await inFlight.WhenAllAsync().WaitAsync(options.ShutdownTimeout, timeProvider);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Shutdown timeout reached with {Count} jobs still running; they stay pending for another replica", inFlight.Count);
            await abort.CancelAsync();
            try
            {
                await inFlight.WhenAllAsync().WaitAsync(TimeSpan.FromSeconds(2), timeProvider);
            }
            catch (TimeoutException)
            {
                // A handler that ignores cancellation is abandoned with the process.
            }
        }
    }

    private async Task<bool> RetryUntilDoneAsync(Func<Task> action, CancellationToken cancellationToken)
    {
        for (var failures = 1; !cancellationToken.IsCancellationRequested; failures++)
        {
            try
            {
                await action();
                outage.Succeeded();
                return true;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // Stopping while Redis is unreachable: the command that was waiting fails; that is the stop, not a crash.
                return false;
            }
            catch (Exception exception)
            {
                outage.Report(exception, "creating the consumer group");
                await DelayAsync(outage.Backoff(failures), cancellationToken);
            }
        }

        return false;
    }

    /// <summary>
    /// Someone deleted the stream or the group. A new group starts after the last entry this worker read, so retained
    /// history is not run again; with no such entry it starts at 0 like the first start.
    /// </summary>
    private async Task RecreateGroupAsync(CancellationToken cancellationToken)
    {
        var startId = lastReadId ?? "0";
        if (await RetryUntilDoneAsync(() => store.EnsureGroupAsync(startId), cancellationToken))
        {
            logger.LogWarning("Consumer group {Group} on {Stream} was missing; created it again from {StartId}", options.Group, options.Stream, startId);
        }
    }

    private void LogReclaimed(IReadOnlyList<Delivered> batch)
    {
        foreach (var delivered in batch.Where(d => !inFlight.Contains(d.Entry.Id.ToString())))
        {
            logger.LogInformation("Reclaimed entry {StreamId} idle for over {ClaimIdleSeconds} s (delivery {Deliveries})",
                delivered.Entry.Id.ToString(), options.ClaimIdle.TotalSeconds, delivered.Deliveries);
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, timeProvider, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static bool IsMissingGroup(RedisServerException exception) =>
        exception.Message.StartsWith("NOGROUP", StringComparison.Ordinal)
        || exception.Message.Contains("no longer exists", StringComparison.OrdinalIgnoreCase);
}
