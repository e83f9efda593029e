using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Diagnostics;
using Runner.Core.Redis;
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
    private readonly CompletionBatch completions;
    private readonly HotPathSettings hotPath;

    private readonly IConnectionMultiplexer redis;
    private readonly IHostApplicationLifetime? lifetime;

    /// <summary>A job's synchronous part (up to its handler's first await) longer than this means handlers may block.</summary>
    private static readonly TimeSpan MayBlockAfter = TimeSpan.FromMilliseconds(50);

    /// <summary>Jobs seen starting quickly on the thread pool before the loop starts jobs on its own thread.</summary>
    private const int FastStartsBeforeInline = 16;

    /// <summary>How many event names get a slow start counted as warm-up (producers may invent names).</summary>
    private const int WarmUpEventsRemembered = 64;

    /// <summary>
    /// Event names that have had their one slow start. The first job that takes its handler's real path (an ignored
    /// delivery does not) loads and compiles that code and builds its clients: 80-100 ms for the agent's first issue
    /// or pull request, which says nothing about whether the handler blocks; a second slow start of the event does.
    /// </summary>
    private readonly ConcurrentDictionary<string, byte> warmedUpEvents = new(StringComparer.Ordinal);

    private int fastStarts;
    private int startMode = (int)StartMode.Learning;
    private string autoClaimCursor = "0-0";
    private string? lastReadId;

    /// <summary>The highest stream id handed to this consumer so far: what a blocking read delivers comes after it.</summary>
    private string? highestSeenId;

    /// <summary>Built by <c>AddRunnerQueue</c>: its parts are services registered there.</summary>
    internal QueueWorker(IConnectionMultiplexer redis, IOptions<QueueOptions> options, QueueStore store, BlockingReader reader,
        JobExecutor executor, QueueHousekeeping housekeeping, JobSlots slots, InFlightJobs inFlight, RedisOutage outage,
        RunnerMetrics metrics, TimeProvider timeProvider, ILogger<QueueWorker> logger, IHostApplicationLifetime? lifetime = null)
    {
        this.redis = redis;
        this.lifetime = lifetime;
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
        hotPath = new HotPathSettings(this.options.Consumer, [.. executor.Events], this.options.ClaimIdle, this.options.IdempotencyWindow);
        completions = new CompletionBatch(store, hotPath, inFlight, metrics, outage, timeProvider, logger, abort.Token);
    }

    /// <summary>Entries this process holds right now (read, running or waiting for Redis to take their outcome).</summary>
    public int InFlightCount => inFlight.Count;

    /// <summary>The worker refused to run because Redis is a cluster and <c>RUNNER_STREAM</c> has no hash tag.</summary>
    public bool RefusedConfiguration { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Queue worker {Consumer} reads {Stream} as group {Group}, {Concurrency} jobs at a time",
            options.Consumer, options.Stream, options.Group, options.Concurrency);
        if (!await RetryUntilDoneAsync(() => store.EnsureGroupAsync("0"), stoppingToken))
        {
            return;
        }

        if (RedisKeyPrefix.IsCluster(redis) && RedisKeyPrefix.HashTag(options.Stream) is null)
        {
            // Every state change is a script over several keys derived from the stream name: in a cluster each would
            // fail with a cross-slot error, so no job could ever finish.
            RefusedConfiguration = true;
            logger.LogCritical("RUNNER_STREAM {Stream} has no hash tag but Redis is a cluster: the queue's keys must share one slot; " +
                               "set RUNNER_STREAM to e.g. {{runner}}:jobs (producers too, see docs/cluster.md). The worker stops", options.Stream);
            lifetime?.StopApplication();
            return;
        }

        reader.Reopen();
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
        // Registered once: wakes the loop from its slot wait and fails a blocking read that is under way.
        await using var stopping = stoppingToken.UnsafeRegister(static state =>
        {
            var worker = (QueueWorker)state!;
            worker.slots.Interrupt();
            _ = worker.reader.DisposeAsync().AsTask();
        }, this);
        try
        {
            await ReadUntilStoppedAsync(stoppingToken);
        }
        finally
        {
            // From here the completion batch writes what finishing jobs hand it on its own.
            completions.Park();
        }
    }

    private async Task ReadUntilStoppedAsync(CancellationToken stoppingToken)
    {
        var recoverOwnFrom = (string?)"0";
        var recoveriesSeen = outage.Recoveries;
        var nextReclaim = timeProvider.GetUtcNow();

        // The last read found entries: read the next ones without blocking, in the script that writes completions.
        var hot = false;
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
            List<FinishedJob>? writing = null;
            try
            {
                await completions.ResumeAsync();
                if (outage.Recoveries != recoveriesSeen)
                {
                    // A read whose reply was lost in the outage left entries pending for us that we never saw.
                    // Reclaiming waits a little, so other replicas first heartbeat the jobs they kept running.
                    recoveriesSeen = outage.Recoveries;
                    recoverOwnFrom = "0";
                    nextReclaim = timeProvider.GetUtcNow() + options.HeartbeatInterval;
                }

                List<PreparedEntry> prepared;
                BeginResult?[]? begun;
                if (recoverOwnFrom is not null)
                {
                    var batch = await store.ReadOwnPendingAsync(options.Consumer, recoverOwnFrom, free);
                    recoverOwnFrom = batch.Count < free ? null : batch[^1].Entry.Id.ToString();
                    prepared = Prepare(batch);
                    begun = await BeginBatchAsync(prepared);
                }
                else if (timeProvider.GetUtcNow() >= nextReclaim)
                {
                    nextReclaim = timeProvider.GetUtcNow() + options.ReclaimInterval;
                    (var batch, autoClaimCursor) = await store.AutoClaimAsync(options.Consumer, options.ClaimIdle, autoClaimCursor, free);
                    LogReclaimed(batch);
                    prepared = Prepare(batch);
                    begun = await BeginBatchAsync(prepared);
                }
                else if (hot || completions.HasWaiting)
                {
                    // One round trip: the complete step of every job finished since the last turn, then the next
                    // entries for the free slots (those jobs' slots included: they are acked first, in the same
                    // script, so this process never holds more entries than it has slots), begun in the same script.
                    writing = completions.TakeAll();
                    var result = await store.CompleteAndReadAsync(writing, free, hotPath, timeProvider.GetUtcNow());
                    if (writing is not null)
                    {
                        completions.Written(writing);
                        writing = null;
                    }

                    hot = result.Entries.Count > 0;
                    prepared = PrepareRead(result.Entries);
                    begun = result.Verdicts;
                }
                else
                {
                    completions.Park();
                    var (entries, verdicts) = await reader.ReadAsync(free, (highestSeenId ?? "0-0", hotPath));
                    hot = entries.Count > 0;
                    prepared = PrepareRead(entries);
                    begun = verdicts is null ? await BeginBatchAsync(prepared) : ByEntry(prepared, verdicts);
                }

                outage.Succeeded();
                failures = 0;
                for (var i = 0; i < prepared.Count; i++)
                {
                    // A job runs here, on the loop's thread, up to its handler's first real await (no hand-off to
                    // another thread) once handlers have shown they do not block; until then, and for good after one
                    // did, jobs go to the thread pool, except the one taking the last free slot: the loop has nothing
                    // else to do until a slot frees.
                    var inline = StartModeNow == StartMode.Inline || (i == prepared.Count - 1 && started + 1 == free);
                    started += Start(prepared[i], begun?[i], inline) ? 1 : 0;
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: whatever the read was doing no longer matters; the drain must still run.
                if (writing is not null)
                {
                    completions.PutBack(writing);
                }

                return;
            }
            catch (RedisServerException exception) when (IsMissingGroup(exception))
            {
                if (writing is not null)
                {
                    completions.PutBack(writing);
                }

                hot = false;
                await RecreateGroupAsync(stoppingToken);
            }
            catch (Exception exception)
            {
                if (writing is not null)
                {
                    completions.PutBack(writing);
                }

                hot = false;
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

    private List<PreparedEntry> Prepare(IReadOnlyList<Delivered> batch)
    {
        var prepared = new List<PreparedEntry>(batch.Count);
        foreach (var delivered in batch)
        {
            Saw(delivered.Entry.Id);
            if (!inFlight.Contains(delivered.Entry.Id.ToString()))
            {
                prepared.Add(executor.Prepare(delivered));
            }
        }

        return prepared;
    }

    /// <summary>New entries (read with <c>&gt;</c>): delivered once, and never held already.</summary>
    private List<PreparedEntry> PrepareRead(IReadOnlyList<StreamEntry> entries)
    {
        var prepared = new List<PreparedEntry>(entries.Count);
        foreach (var entry in entries)
        {
            prepared.Add(executor.Prepare(new Delivered(entry, 1)));
        }

        if (entries.Count > 0)
        {
            lastReadId = entries[^1].Id.ToString();
            Saw(entries[^1].Id);
        }

        return prepared;
    }

    private void Saw(RedisValue id)
    {
        if (StreamId.TryParse(id.ToString(), out var seen) && (highestSeenId is null || !StreamId.TryParse(highestSeenId, out var highest) || seen > highest))
        {
            highestSeenId = id.ToString();
        }
    }

    /// <summary>The begin verdicts of a read batch, by entry; null for entries without one (each then asks on its own).</summary>
    private static BeginResult?[] ByEntry(List<PreparedEntry> prepared, Dictionary<string, BeginResult> verdicts)
    {
        var byEntry = new BeginResult?[prepared.Count];
        for (var i = 0; i < prepared.Count; i++)
        {
            if (verdicts.TryGetValue(prepared[i].Delivered.Entry.Id.ToString(), out var verdict))
            {
                byEntry[i] = verdict;
            }
        }

        return byEntry;
    }

    /// <summary>
    /// Takes the running keys of every entry of the batch that will run, in one script. Null when Redis failed:
    /// each job then asks on its own (a lost reply is harmless, the keys hold this consumer's tokens).
    /// </summary>
    private async Task<BeginResult?[]?> BeginBatchAsync(List<PreparedEntry> prepared)
    {
        var wanted = new List<(string Delivery, string Token)>();
        foreach (var entry in prepared)
        {
            if (entry.BeginDelivery is { } delivery)
            {
                wanted.Add((delivery, InFlightJob.TokenFor(options.Consumer, entry.Delivered.Entry.Id.ToString())));
            }
        }

        if (wanted.Count == 0)
        {
            return null;
        }

        BeginResult[] verdicts;
        try
        {
            verdicts = await store.TryBeginManyAsync(wanted, options.ClaimIdle);
        }
        catch (Exception exception) when (RedisOutage.IsUnavailable(exception))
        {
            outage.Failed(exception);
            return null;
        }

        var byEntry = new BeginResult?[prepared.Count];
        for (int i = 0, next = 0; i < prepared.Count && next < verdicts.Length; i++)
        {
            if (prepared[i].BeginDelivery is not null)
            {
                byEntry[i] = verdicts[next++];
            }
        }

        return byEntry;
    }

    private bool Start(PreparedEntry prepared, BeginResult? begun, bool inline)
    {
        var held = new InFlightJob(prepared.Delivered.Entry.Id.ToString(), options.Consumer);
        if (!inFlight.TryAdd(held))
        {
            return false;
        }

        if (inline)
        {
            _ = RunAsync(prepared, held, begun);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static job => _ = job.Worker.RunAsync(job.Prepared, job.Held, job.Begun),
                (Worker: this, Prepared: prepared, Held: held, Begun: begun), preferLocal: true);
        }

        return true;
    }

    private async Task RunAsync(PreparedEntry prepared, InFlightJob held, BeginResult? begun)
    {
        var handedOver = false;
        try
        {
            var began = timeProvider.GetTimestamp();
            var run = executor.RunAsync(prepared, held, begun, completions, abort.Token);
            ObserveStart(prepared.Parsed?.Job?.Event, timeProvider.GetElapsedTime(began));
            handedOver = await run;
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Entry {StreamId} stays pending after an unexpected error; it is reclaimed later", held.StreamId);
        }
        finally
        {
            if (!handedOver)
            {
                inFlight.Remove(held.StreamId);
                held.Finished();
            }

            // Last: this may run the read loop's next turn right here.
            slots.Release();
        }
    }

    /// <summary>
    /// Learns whether jobs may run on the loop's thread: after <see cref="FastStartsBeforeInline"/> jobs whose synchronous
    /// part was short, yes; after one that held its thread longer than <see cref="MayBlockAfter"/> (a handler blocking
    /// before its first await), never again. Each event's first slow start is not held against it: it warms its handler
    /// up (<see cref="warmedUpEvents"/>). So a handler that does block holds up the loop at most twice.
    /// </summary>
    private void ObserveStart(string? eventName, TimeSpan synchronousPart)
    {
        if (StartModeNow == StartMode.Pool)
        {
            return;
        }

        if (synchronousPart > MayBlockAfter)
        {
            if (eventName is not null && IsWarmUp(eventName))
            {
                logger.LogDebug("A job of {Event} ran {Milliseconds:0} ms on its thread before its handler's first await, the first to be slow; taken as warm-up",
                    eventName, synchronousPart.TotalMilliseconds);
                return;
            }

            Volatile.Write(ref startMode, (int)StartMode.Pool);
            logger.LogWarning("A job ran {Milliseconds:0} ms on its thread before its handler's first await; jobs now start on the thread pool, " +
                              "so a handler that blocks cannot hold up the others", synchronousPart.TotalMilliseconds);
            return;
        }

        if (StartModeNow == StartMode.Learning && Interlocked.Increment(ref fastStarts) >= FastStartsBeforeInline)
        {
            // Only from Learning: a switch to Pool made meanwhile stays.
            Interlocked.CompareExchange(ref startMode, (int)StartMode.Inline, (int)StartMode.Learning);
        }
    }

    private StartMode StartModeNow => (StartMode)Volatile.Read(ref startMode);

    /// <summary>
    /// True for an event's first slow start. Only slow starts get here, so counting the dictionary (which takes its
    /// locks) costs nothing per job.
    /// </summary>
    private bool IsWarmUp(string eventName) =>
        warmedUpEvents.Count < WarmUpEventsRemembered && warmedUpEvents.TryAdd(eventName, 0);

    private enum StartMode
    {
        Learning,
        Inline,
        Pool,
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
