namespace Runner.Core.Queue;

/// <summary>
/// The retry mover's sleep: until its poll interval ends, or earlier when this process schedules a retry that is due
/// sooner, so a retry runs on time without polling Redis often.
/// </summary>
internal sealed class RetryWakeup(TimeProvider timeProvider)
{
    private readonly Lock gate = new();
    private CancellationTokenSource? sleeper;
    private DateTimeOffset wakeAt = DateTimeOffset.MaxValue;
    private DateTimeOffset earliestSignal = DateTimeOffset.MaxValue;

    public void Signal(DateTimeOffset due)
    {
        lock (gate)
        {
            if (sleeper is not null && due < wakeAt)
            {
                sleeper.Cancel();
            }
            else if (due < earliestSignal)
            {
                earliestSignal = due;
            }
        }
    }

    public async Task SleepAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        TimeSpan wait;
        lock (gate)
        {
            var now = timeProvider.GetUtcNow();
            var target = now + delay;
            if (earliestSignal < target)
            {
                target = earliestSignal;
            }

            earliestSignal = DateTimeOffset.MaxValue;
            wait = target - now;
            if (wait <= TimeSpan.Zero)
            {
                return;
            }

            wakeAt = target;
            sleeper = wake;
        }

        try
        {
            await Task.Delay(wait, timeProvider, wake.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Woken early by a retry due sooner.
        }
        finally
        {
            lock (gate)
            {
                sleeper = null;
                wakeAt = DateTimeOffset.MaxValue;
            }
        }
    }
}
