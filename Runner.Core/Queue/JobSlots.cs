namespace Runner.Core.Queue;

/// <summary>
/// The bounded number of jobs one process runs at once (<c>RUNNER_CONCURRENCY</c>). A counter, not a semaphore: the
/// read loop is the only waiter, so a finishing job wakes it only when it actually waits, and then on the finishing
/// job's own thread (the job's last step is the release), with no hand-off to another thread.
/// </summary>
internal sealed class JobSlots(int capacity) : IDisposable
{
    private readonly Lock gate = new();
    private int free = capacity;
    private TaskCompletionSource? waiter;

    public int Capacity { get; } = capacity;

    /// <summary>
    /// Waits for at least one free slot, then takes every free slot; returns how many were taken. A cancelled
    /// <paramref name="stopping"/> ends the wait only together with <see cref="Interrupt"/>, which the caller registers
    /// once on the token (not one registration per wait).
    /// </summary>
    public ValueTask<int> AcquireAvailableAsync(CancellationToken stopping)
    {
        lock (gate)
        {
            stopping.ThrowIfCancellationRequested();
            if (free > 0)
            {
                var taken = free;
                free = 0;
                return new ValueTask<int>(taken);
            }

            waiter = new TaskCompletionSource();
            return WaitAsync(waiter.Task, stopping);
        }
    }

    public void Release(int count = 1)
    {
        if (count <= 0)
        {
            return;
        }

        TaskCompletionSource? wake;
        lock (gate)
        {
            free += count;
            wake = waiter;
            waiter = null;
        }

        // Outside the lock: the read loop may continue right here, on this thread.
        wake?.TrySetResult();
    }

    /// <summary>Wakes the current wait so it sees its cancelled token.</summary>
    public void Interrupt()
    {
        TaskCompletionSource? wake;
        lock (gate)
        {
            wake = waiter;
            waiter = null;
        }

        wake?.TrySetResult();
    }

    public void Dispose() => Interrupt();

    private async ValueTask<int> WaitAsync(Task wait, CancellationToken stopping)
    {
        await wait;
        lock (gate)
        {
            stopping.ThrowIfCancellationRequested();
            var taken = free;
            free = 0;
            return taken;
        }
    }
}
