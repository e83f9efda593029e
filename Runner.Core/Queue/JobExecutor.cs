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
    private static readonly TimeSpan MinDeferDelay = TimeSpan.FromMilliseconds(100);

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

    /// <summary>The events some handler takes.</summary>
    public IReadOnlyCollection<string> Events => handlers.Keys;

    /// <summary>
    /// Parses a read entry once and says whether it will need its delivery's running key, so the worker can take
    /// the keys of a whole read batch in one script (<see cref="QueueStore.TryBeginManyAsync"/>).
    /// </summary>
    public PreparedEntry Prepare(Delivered delivered)
    {
        if (delivered.Entry.Values.Length == 0)
        {
            return new PreparedEntry(delivered, null, null);
        }

        var parsed = JobParser.Parse(delivered.Entry);
        var runs = parsed.Job is { } job && handlers.ContainsKey(job.Event) && delivered.Deliveries <= options.MaxAttempts;
        return new PreparedEntry(delivered, parsed, runs ? parsed.Job!.Delivery : null);
    }

    /// <param name="delivered">The entry and its delivery count.</param>
    /// <param name="held">This process's record of the entry (heartbeats read it).</param>
    /// <param name="abort">Cancelled when the shutdown drain time is over: the job is then left pending.</param>
    public Task RunAsync(Delivered delivered, InFlightJob held, CancellationToken abort) => RunAsync(Prepare(delivered), held, null, null, abort).AsTask();

    /// <param name="prepared">The entry as <see cref="Prepare"/> read it.</param>
    /// <param name="held">This process's record of the entry (heartbeats read it).</param>
    /// <param name="begun">The verdict of the batch's begin script for this entry, or null to ask Redis now.</param>
    /// <param name="completions">Where a succeeded job's complete step goes to be written with others; null: written here.</param>
    /// <param name="abort">Cancelled when the shutdown drain time is over: the job is then left pending.</param>
    /// <returns>True when the job's complete step was handed to <paramref name="completions"/>: the entry stays held until it is written.</returns>
    public async ValueTask<bool> RunAsync(PreparedEntry prepared, InFlightJob held, BeginResult? begun, CompletionBatch? completions, CancellationToken abort)
    {
        var delivered = prepared.Delivered;
        var entry = delivered.Entry;
        var streamId = held.StreamId;
        if (prepared.Parsed is not { } parsed)
        {
            // The entry was deleted from the stream while pending (XDEL/trim by someone else): nothing to run.
            await PersistAsync(() => store.AckAsync(streamId), abort);
            return false;
        }

        if (parsed.Job is not { } parsedJob)
        {
            // With a readable delivery the read script may have taken its running key for this entry (it does not
            // parse the payload): the dead-letter script lets go of it if it holds this entry's token.
            logger.LogWarning("Entry {StreamId} moved to the dead-letter stream: {Error}", streamId, parsed.Error);
            await PersistAsync(() => store.DeadLetterAsync(entry, parsed.Error!, 0, options.Consumer, parsed.Delivery, held.Token, Now), abort);
            metrics.JobsDead.Add(1, new KeyValuePair<string, object?>("event", "malformed"));
            return false;
        }

        var job = parsedJob with { MaxAttempts = options.MaxAttempts };
        var repository = parsed.Repository ?? "-";
        if (!handlers.TryGetValue(job.Event, out var handler))
        {
            logger.LogDebug("Entry {StreamId} has event {Event} that no handler takes; acknowledged", streamId, job.Event);
            await PersistAsync(() => store.AckAsync(streamId), abort);
            return false;
        }

        if (delivered.Deliveries > options.MaxAttempts)
        {
            var error = $"delivered {delivered.Deliveries} times without finishing: the consumers that took it stopped while running it";
            LogFinished(job, repository, "dead-lettered", TimeSpan.Zero, error, LogLevel.Error);
            await PersistAsync(() => store.DeadLetterAsync(entry, error, job.Attempt, options.Consumer, job.Delivery, held.Token, Now), abort);
            metrics.JobsDead.Add(1, new KeyValuePair<string, object?>("event", job.Event));
            return false;
        }

        var begin = begun ?? await PersistAsync(() => store.TryBeginAsync(job.Delivery, held.Token, options.ClaimIdle), abort);
        if (begin == BeginResult.AlreadyDone)
        {
            LogFinished(job, repository, "skipped: delivery already completed", TimeSpan.Zero, null, LogLevel.Information);
            await PersistAsync(() => store.AckAsync(streamId), abort);
            return false;
        }

        if (begin == BeginResult.RunningElsewhere)
        {
            // Same delivery running under another entry: look again later; by then it is done (skip) or free (run).
            var due = Now + DeferDelay();
            LogFinished(job, repository, "deferred: the same delivery is running elsewhere", TimeSpan.Zero, null, LogLevel.Information);
            await PersistAsync(() => store.ScheduleAsync(entry, job.Attempt, due, null, held.Token, string.Empty, Now), abort);
            retryWakeup.Signal(due);
            return false;
        }

        held.Delivery = job.Delivery;
        metrics.QueueLag.Record(Math.Max(0, (Now - (EntryTime(streamId) ?? Now)).TotalSeconds), new KeyValuePair<string, object?>("event", job.Event));
        return await RunHandlerAsync(entry, job, repository, handler, held, completions, abort);
    }

    private async ValueTask<bool> RunHandlerAsync(StreamEntry entry, Job job, string repository, IJobHandler handler, InFlightJob held,
        CompletionBatch? completions, CancellationToken abort)
    {
        var started = timeProvider.GetTimestamp();
        Exception? failure = null;
        try
        {
            var handling = handler.HandleAsync(job, abort);

            // The start line is written when the job first waits for anything (in practice its first network call, a
            // few microseconds in). A job that ends without waiting (an ignored delivery) writes only its finish line,
            // which carries every field of the start line: half the lines, and half the logging cost, for those.
            if (!handling.IsCompleted)
            {
                JobLog.Started(logger, job.StreamId, job.Event, job.Delivery, repository, job.Attempt);
            }

            await handling;
        }
        catch (Exception) when (abort.IsCancellationRequested)
        {
            await LeaveAsync(job, repository, held, timeProvider.GetElapsedTime(started));
            return false;
        }
        catch (Exception exception)
        {
            failure = exception;
        }

        // From here the outcome script owns the running key: the heartbeat must not extend it past its release.
        held.Release();
        var duration = timeProvider.GetElapsedTime(started);
        if (failure is JobDeferredException deferred)
        {
            await DeferAsync(entry, job, repository, held, deferred, duration, abort);
            return false;
        }

        var tags = new KeyValuePair<string, object?>("event", job.Event);
        metrics.JobDuration.Record(duration.TotalSeconds, tags);
        if (failure is null)
        {
            LogFinished(job, repository, "succeeded", duration, null, LogLevel.Information);
            if (completions is not null)
            {
                completions.Add(new FinishedJob(held, job.Delivery, job.Event));
                return true;
            }

            await PersistAsync(() => store.CompleteAsync(job.StreamId, job.Delivery, held.Token, options.IdempotencyWindow, Now), abort);
            metrics.JobsProcessed.Add(1, tags);
            return false;
        }

        var error = Describe(failure);
        if (failure is PermanentJobException || job.IsLastAttempt)
        {
            var why = failure is PermanentJobException ? "dead-lettered (permanent failure)" : $"dead-lettered after {job.Attempt} attempts";
            LogFinished(job, repository, why, duration, error, LogLevel.Error);
            await PersistAsync(() => store.DeadLetterAsync(entry, error, job.Attempt, options.Consumer, job.Delivery, held.Token, Now), abort);
            metrics.JobsDead.Add(1, tags);
            return false;
        }

        var delay = retryPolicy.Delay(job.Attempt, (failure as TransientJobException)?.RetryAfter, random.NextDouble());
        var due = Now + delay;
        LogFinished(job, repository, $"failed (retry {job.Attempt + 1} due in {delay.TotalSeconds:0.#} s)", duration, error, LogLevel.Warning);
        var retry = WithDeferredSince(entry, null);
        await PersistAsync(() => store.ScheduleAsync(retry, job.Attempt + 1, due, job.Delivery, held.Token, "retried", Now), abort);
        metrics.JobsFailed.Add(1, tags);
        retryWakeup.Signal(due);
        return false;
    }

    /// <summary>
    /// The handler cannot run the job yet: a copy with the same attempt goes back through the retry set, carrying
    /// when this attempt was first deferred, until <see cref="QueueOptions.DeferLimit"/> is used up.
    /// </summary>
    private async Task DeferAsync(StreamEntry entry, Job job, string repository, InFlightJob held, JobDeferredException deferred,
        TimeSpan duration, CancellationToken abort)
    {
        var since = DeferredSince(entry) ?? Now;
        var tags = new KeyValuePair<string, object?>("event", job.Event);
        if (Now - since >= options.DeferLimit)
        {
            var error = $"deferred for longer than {QueueOptions.DeferLimitVariable} ({options.DeferLimit}): {deferred.Message}";
            LogFinished(job, repository, "dead-lettered (deferred too long)", duration, error, LogLevel.Error);
            await PersistAsync(() => store.DeadLetterAsync(entry, error, job.Attempt, options.Consumer, job.Delivery, held.Token, Now), abort);
            metrics.JobsDead.Add(1, tags);
            return;
        }

        var delay = TimeSpan.FromTicks(Math.Clamp(deferred.RetryAfter.Ticks, MinDeferDelay.Ticks, options.DeferLimit.Ticks));
        var due = Now + delay;
        LogFinished(job, repository, $"deferred (due again in {delay.TotalSeconds:0.#} s, not an attempt)", duration, deferred.Message, LogLevel.Information);
        var copy = WithDeferredSince(entry, since);
        await PersistAsync(() => store.ScheduleAsync(copy, job.Attempt, due, job.Delivery, held.Token, string.Empty, Now), abort);
        retryWakeup.Signal(due);
    }

    /// <summary>Shutdown ran out of time: the entry stays pending (no ack) and another replica reclaims it.</summary>
    private async Task LeaveAsync(Job job, string repository, InFlightJob held, TimeSpan duration)
    {
        held.Release();
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
            JobLog.Finished(logger, level, job.StreamId, job.Event, job.Delivery, repository, job.Attempt, outcome, duration.TotalMilliseconds);
        }
        else
        {
            JobLog.Failed(logger, level, job.StreamId, job.Event, job.Delivery, repository, job.Attempt, outcome, duration.TotalMilliseconds, error);
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

    /// <summary>When the attempt in <paramref name="entry"/> was first deferred; null when it never was (or unreadable).</summary>
    private static DateTimeOffset? DeferredSince(StreamEntry entry)
    {
        foreach (var field in entry.Values)
        {
            if (field.Name == JobFields.DeferredSince
                && long.TryParse((string?)field.Value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var ms)
                && ms is > 0 and < 253_402_300_800_000)
            {
                return DateTimeOffset.FromUnixTimeMilliseconds(ms);
            }
        }

        return null;
    }

    /// <summary>The entry with its <c>deferred_since</c> field set to <paramref name="since"/>, or removed when null.</summary>
    private static StreamEntry WithDeferredSince(StreamEntry entry, DateTimeOffset? since)
    {
        var fields = entry.Values.Where(field => field.Name != JobFields.DeferredSince).ToList();
        if (since is { } value)
        {
            fields.Add(new NameValueEntry(JobFields.DeferredSince,
                value.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return new StreamEntry(entry.Id, [.. fields]);
    }

    private static string Describe(Exception exception)
    {
        var text = $"{exception.GetType().Name}: {exception.Message}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }
}

/// <summary>A read entry parsed once. <see cref="BeginDelivery"/> is set when it will run and needs its running key.</summary>
internal sealed record PreparedEntry(Delivered Delivered, ParsedEntry? Parsed, string? BeginDelivery);
