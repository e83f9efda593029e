using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Runner.Core.Diagnostics;
using Runner.Core.Timing;
using StackExchange.Redis;

namespace Runner.Core.Queue;

/// <summary>
/// Takes one entry from read to its end state: acked after its handler succeeded, scheduled for a retry, moved to
/// the dead-letter stream, skipped as a duplicate, or left pending when shutdown cut it short.
/// </summary>
internal sealed class JobExecutor
{
    private const int MaxErrorLength = 2_000;

    private readonly IJobOutcomeStore store;
    private readonly QueueOptions options;
    private readonly Dictionary<string, IJobHandler> handlers;
    private readonly TimeProvider timeProvider;
    private readonly Random random;
    private readonly ILogger logger;
    private readonly RunnerMetrics metrics;
    private readonly RedisOutage outage;
    private readonly RetryPolicy retryPolicy;
    private readonly RetryWakeup retryWakeup;

    /// <param name="logger">The worker's logger: job lines are the worker's story.</param>
    public JobExecutor(IJobOutcomeStore store, IOptions<QueueOptions> options, IEnumerable<IJobHandler> handlers,
        TimeProvider timeProvider, Random random, ILogger<QueueWorker> logger, RunnerMetrics metrics, RedisOutage outage,
        RetryWakeup retryWakeup)
    {
        this.store = store;
        this.options = options.Value;
        this.handlers = MapHandlers(handlers);
        this.timeProvider = timeProvider;
        this.random = random;
        this.logger = logger;
        this.metrics = metrics;
        this.outage = outage;
        this.retryWakeup = retryWakeup;
        retryPolicy = new RetryPolicy(this.options);
    }

    /// <param name="delivered">The entry and its delivery count.</param>
    /// <param name="held">This process's record of the entry (heartbeats read it).</param>
    /// <param name="abort">Cancelled when the shutdown drain time is over: the job is then left pending.</param>
    public async Task RunAsync(Delivered delivered, InFlightJob held, CancellationToken abort)
    {
        var entry = delivered.Entry;
        var streamId = held.StreamId;
        if (entry.Values.Length == 0)
        {
            // The entry was deleted from the stream while pending (XDEL/trim by someone else): nothing to run.
            await PersistAsync(() => store.AckAsync(streamId), abort);
            return;
        }

        var parsed = JobParser.Parse(entry);
        if (parsed.Job is not { } parsedJob)
        {
            logger.LogWarning("Entry {StreamId} moved to the dead-letter stream: {Error}", streamId, parsed.Error);
            await PersistAsync(() => store.DeadLetterAsync(entry, parsed.Error!, 0, options.Consumer, null, held.Token, Now), abort);
            metrics.JobsDead.Add(1, new KeyValuePair<string, object?>("event", "malformed"));
            return;
        }

        var job = parsedJob with { MaxAttempts = options.MaxAttempts };
        var repository = parsed.Repository ?? "-";
        if (!handlers.TryGetValue(job.Event, out var handler))
        {
            logger.LogDebug("Entry {StreamId} has event {Event} that no handler takes; acknowledged", streamId, job.Event);
            await PersistAsync(() => store.AckAsync(streamId), abort);
            return;
        }

        if (delivered.Deliveries > options.MaxAttempts)
        {
            var error = $"delivered {delivered.Deliveries} times without finishing: the consumers that took it stopped while running it";
            LogFinished(job, repository, "dead-lettered", TimeSpan.Zero, error, LogLevel.Error);
            await PersistAsync(() => store.DeadLetterAsync(entry, error, job.Attempt, options.Consumer, job.Delivery, held.Token, Now), abort);
            metrics.JobsDead.Add(1, new KeyValuePair<string, object?>("event", job.Event));
            return;
        }

        var begin = await PersistAsync(() => store.TryBeginAsync(job.Delivery, held.Token, options.ClaimIdle), abort);
        if (begin == BeginResult.AlreadyDone)
        {
            LogFinished(job, repository, "skipped: delivery already completed", TimeSpan.Zero, null, LogLevel.Information);
            await PersistAsync(() => store.AckAsync(streamId), abort);
            return;
        }

        if (begin == BeginResult.RunningElsewhere)
        {
            // Same delivery running under another entry: look again later; by then it is done (skip) or free (run).
            var due = Now + DeferDelay();
            LogFinished(job, repository, "deferred: the same delivery is running elsewhere", TimeSpan.Zero, null, LogLevel.Information);
            await PersistAsync(() => store.ScheduleAsync(entry, job.Attempt, due, null, held.Token, string.Empty, Now), abort);
            retryWakeup.Signal(due);
            return;
        }

        held.Delivery = job.Delivery;
        metrics.QueueLag.Record(Math.Max(0, (Now - (EntryTime(streamId) ?? Now)).TotalSeconds), new KeyValuePair<string, object?>("event", job.Event));
        await RunHandlerAsync(entry, job, repository, handler, held, abort);
    }

    private async Task RunHandlerAsync(StreamEntry entry, Job job, string repository, IJobHandler handler, InFlightJob held, CancellationToken abort)
    {
        logger.LogInformation("Job {StreamId} {Event} {Delivery} for {Repository} attempt {Attempt} started",
            job.StreamId, job.Event, job.Delivery, repository, job.Attempt);
        var started = timeProvider.GetTimestamp();
        Exception? failure = null;
        try
        {
            await handler.HandleAsync(job, abort);
        }
        catch (Exception) when (abort.IsCancellationRequested)
        {
            await LeaveAsync(job, repository, held, timeProvider.GetElapsedTime(started));
            return;
        }
        catch (Exception exception)
        {
            failure = exception;
        }

        var duration = timeProvider.GetElapsedTime(started);
        var tags = new KeyValuePair<string, object?>("event", job.Event);
        metrics.JobDuration.Record(duration.TotalSeconds, tags);
        if (failure is null)
        {
            LogFinished(job, repository, "succeeded", duration, null, LogLevel.Information);
            await PersistAsync(() => store.CompleteAsync(job.StreamId, job.Delivery, held.Token, options.IdempotencyWindow, Now), abort);
            metrics.JobsProcessed.Add(1, tags);
            return;
        }

        var error = Describe(failure);
        if (failure is PermanentJobException || job.IsLastAttempt)
        {
            var why = failure is PermanentJobException ? "dead-lettered (permanent failure)" : $"dead-lettered after {job.Attempt} attempts";
            LogFinished(job, repository, why, duration, error, LogLevel.Error);
            await PersistAsync(() => store.DeadLetterAsync(entry, error, job.Attempt, options.Consumer, job.Delivery, held.Token, Now), abort);
            metrics.JobsDead.Add(1, tags);
            return;
        }

        var delay = retryPolicy.Delay(job.Attempt, (failure as TransientJobException)?.RetryAfter, random.NextDouble());
        var due = Now + delay;
        LogFinished(job, repository, $"failed (retry {job.Attempt + 1} due in {delay.TotalSeconds:0.#} s)", duration, error, LogLevel.Warning);
        await PersistAsync(() => store.ScheduleAsync(entry, job.Attempt + 1, due, job.Delivery, held.Token, "retried", Now), abort);
        metrics.JobsFailed.Add(1, tags);
        retryWakeup.Signal(due);
    }

    /// <summary>Shutdown ran out of time: the entry stays pending (no ack) and another replica reclaims it.</summary>
    private async Task LeaveAsync(Job job, string repository, InFlightJob held, TimeSpan duration)
    {
        LogFinished(job, repository, "left pending for another replica (shutdown timeout)", duration, null, LogLevel.Warning);
        try
        {
            await store.ReleaseAsync(job.Delivery, held.Token);
        }
        catch (Exception exception) when (exception is RedisException or ObjectDisposedException)
        {
            // The running key expires on its own within RUNNER_CLAIM_IDLE.
        }
    }

    /// <summary>
    /// Runs a Redis write until it succeeds: the outcome of a finished handler must not be dropped because Redis is
    /// down. Gives up only when shutdown's drain time is over (the entry then stays pending).
    /// </summary>
    private async Task<T> PersistAsync<T>(Func<Task<T>> write, CancellationToken abort)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                var result = await write();
                outage.Succeeded();
                return result;
            }
            catch (Exception exception) when (RedisOutage.IsUnavailable(exception) && !abort.IsCancellationRequested)
            {
                outage.Failed(exception);
                await Task.Delay(outage.Backoff(failures), timeProvider, abort);
            }
        }
    }

    private Task<bool> PersistAsync(Func<Task> write, CancellationToken abort) =>
        PersistAsync(async () =>
        {
            await write();
            return true;
        }, abort);

    private void LogFinished(Job job, string repository, string outcome, TimeSpan duration, string? error, LogLevel level)
    {
        if (error is null)
        {
            logger.Log(level, "Job {StreamId} {Event} {Delivery} for {Repository} attempt {Attempt} {Outcome} in {DurationMs:0} ms",
                job.StreamId, job.Event, job.Delivery, repository, job.Attempt, outcome, duration.TotalMilliseconds);
        }
        else
        {
            logger.Log(level, "Job {StreamId} {Event} {Delivery} for {Repository} attempt {Attempt} {Outcome} in {DurationMs:0} ms: {Error}",
                job.StreamId, job.Event, job.Delivery, repository, job.Attempt, outcome, duration.TotalMilliseconds, error);
        }
    }

    private TimeSpan DeferDelay()
    {
        var ceiling = TimeSpan.FromTicks(Math.Clamp(options.RetryBaseDelay.Ticks, TimeSpan.TicksPerMillisecond * 100, options.ClaimIdle.Ticks));
        return Backoff.Jitter(ceiling, 0.5, random.NextDouble());
    }

    private static Dictionary<string, IJobHandler> MapHandlers(IEnumerable<IJobHandler> handlers)
    {
        var map = new Dictionary<string, IJobHandler>(StringComparer.Ordinal);
        foreach (var handler in handlers)
        {
            foreach (var eventName in handler.Events)
            {
                if (!map.TryAdd(eventName, handler))
                {
                    throw new InvalidOperationException(
                        $"Event '{eventName}' has two job handlers: {map[eventName].GetType().Name} and {handler.GetType().Name}");
                }
            }
        }

        return map;
    }

    private DateTimeOffset Now => timeProvider.GetUtcNow();

    /// <summary>When Redis added the entry: its id starts with the server's Unix milliseconds.</summary>
    private static DateTimeOffset? EntryTime(string streamId)
    {
        var dash = streamId.IndexOf('-', StringComparison.Ordinal);
        return long.TryParse(dash < 0 ? streamId : streamId[..dash], System.Globalization.CultureInfo.InvariantCulture, out var ms)
               && ms is > 0 and < 253_402_300_800_000
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
    }

    private static string Describe(Exception exception)
    {
        var text = $"{exception.GetType().Name}: {exception.Message}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }
}
