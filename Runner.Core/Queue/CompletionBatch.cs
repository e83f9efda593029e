using Microsoft.Extensions.Logging;
using Runner.Core.Diagnostics;

namespace Runner.Core.Queue;

/// <summary>
/// Successful jobs waiting for their complete step (done key + XACK + running-key release, atomic per job), written
/// for many jobs in one script. Who writes them: the read loop, in the same script as its next read, whenever it
/// runs (a finishing job frees a slot, which wakes it); while the loop is parked in its blocking read (or has
/// stopped), a pump here writes them at once. Until written, a job stays held: heartbeats keep its entry claimed and
/// the shutdown drain waits for it. A crash before the write leaves the entry pending with no done key, exactly as a
/// crash just before a single job's ack: another replica reclaims it and runs it again (at-least-once).
/// </summary>
internal sealed class CompletionBatch(QueueStore store, HotPathSettings settings, InFlightJobs inFlight, RunnerMetrics metrics,
    RedisOutage outage, TimeProvider timeProvider, ILogger logger, CancellationToken abort)
{
    private readonly Lock gate = new();
    private List<FinishedJob> waiting = [];
    private bool loopParked = true;
    /// <summary>Set while the pump runs (under the lock, so the read loop can always wait for it); completed when it stops.</summary>
    private TaskCompletionSource? pumping;

    public bool HasWaiting
    {
        get
        {
            lock (gate)
            {
                return waiting.Count > 0;
            }
        }
    }

    public void Add(FinishedJob job)
    {
        lock (gate)
        {
            waiting.Add(job);
            if (!loopParked || pumping is not null)
            {
                return;
            }

            pumping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _ = PumpAsync();
    }

    /// <summary>Every waiting job, for the read loop's next script; <see cref="Written"/> or <see cref="PutBack"/> after it.</summary>
    public List<FinishedJob>? TakeAll()
    {
        lock (gate)
        {
            if (waiting.Count == 0)
            {
                return null;
            }

            var taken = waiting;
            waiting = [];
            return taken;
        }
    }

    /// <summary>The write failed: the jobs wait for the next one (the script is idempotent if it did run).</summary>
    public void PutBack(List<FinishedJob> jobs)
    {
        lock (gate)
        {
            jobs.AddRange(waiting);
            waiting = jobs;
        }
    }

    /// <summary>The complete step of these jobs is in Redis: they stop being held.</summary>
    public void Written(List<FinishedJob> jobs)
    {
        Unhold(jobs);

        // One measurement per job: the bench and dashboards count acknowledgements by it.
        foreach (var job in jobs)
        {
            metrics.JobsProcessed.Add(1, new KeyValuePair<string, object?>("event", job.Event));
        }
    }

    /// <summary>The read loop is about to wait on something other than its slots (the blocking read) or has stopped.</summary>
    public void Park()
    {
        lock (gate)
        {
            loopParked = true;
            if (waiting.Count == 0 || pumping is not null)
            {
                return;
            }

            pumping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _ = PumpAsync();
    }

    /// <summary>
    /// The read loop runs again and writes what waits; a write the pump has under way finishes first, so entries held
    /// by this process never exceed the slots (the loop's next read uses the slots those jobs freed).
    /// </summary>
    public Task ResumeAsync()
    {
        lock (gate)
        {
            loopParked = false;
            return pumping?.Task ?? Task.CompletedTask;
        }
    }

    private void Unhold(List<FinishedJob> jobs)
    {
        foreach (var job in jobs)
        {
            inFlight.Remove(job.Held.StreamId);
            job.Held.Finished();
        }
    }

    /// <summary>Runs on the caller's thread up to the script call (a finishing job's, or the parking read loop's).</summary>
    private async Task PumpAsync()
    {
        for (var failures = 0; ;)
        {
            List<FinishedJob> batch;
            lock (gate)
            {
                if (!loopParked || waiting.Count == 0)
                {
                    pumping!.TrySetResult();
                    pumping = null;
                    return;
                }

                batch = waiting;
                waiting = [];
            }

            try
            {
                await store.CompleteAndReadAsync(batch, 0, settings, timeProvider.GetUtcNow());
                outage.Succeeded();
                failures = 0;
                Written(batch);
            }
            catch (Exception exception) when (RedisOutage.IsUnavailable(exception) && !abort.IsCancellationRequested)
            {
                outage.Failed(exception);
                PutBack(batch);
                try
                {
                    await Task.Delay(outage.Backoff(++failures), timeProvider, abort);
                }
                catch (OperationCanceledException)
                {
                    // The drain is over; the loop's next turn gives up below.
                }
            }
            catch (Exception exception)
            {
                // Given up (the drain is over, or a bug): the entries stay pending without a done key and another
                // replica reclaims them, as after a crash.
                if (!abort.IsCancellationRequested)
                {
                    logger.LogError(exception, "Completing {Count} jobs failed; their entries stay pending and are reclaimed later", batch.Count);
                }

                Unhold(batch);
            }
        }
    }
}

/// <summary>A job whose handler succeeded and whose complete step waits in <see cref="CompletionBatch"/>.</summary>
internal sealed record FinishedJob(InFlightJob Held, string Delivery, string Event);
