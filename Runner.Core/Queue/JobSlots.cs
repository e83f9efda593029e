namespace Runner.Core.Queue;

/// <summary>The bounded number of jobs one process runs at once (<c>RUNNER_CONCURRENCY</c>).</summary>
internal sealed class JobSlots(int capacity) : IDisposable
{
    private readonly SemaphoreSlim free = new(capacity, capacity);

    public int Capacity => capacity;

    /// <summary>Waits for at least one free slot, then takes every free slot; returns how many were taken.</summary>
    public async Task<int> AcquireAvailableAsync(CancellationToken cancellationToken)
    {
        await free.WaitAsync(cancellationToken);
        var taken = 1;
        while (taken < capacity && free.Wait(0, CancellationToken.None))
        {
            taken++;
        }

        return taken;
    }

    public void Release(int count = 1)
    {
        if (count > 0)
        {
            free.Release(count);
        }
    }

    public void Dispose() => free.Dispose();
}
