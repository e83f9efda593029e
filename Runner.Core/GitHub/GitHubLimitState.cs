using System.Collections.Concurrent;

namespace Runner.Core.GitHub;

/// <summary>Rate-limit state shared by every client of the process, per <see cref="GitHubRequestScope"/>.</summary>
internal sealed class GitHubLimitState(TimeProvider timeProvider) : IDisposable
{
    private readonly ConcurrentDictionary<string, ScopeLimits> scopes = new(StringComparer.Ordinal);

    public ScopeLimits For(GitHubRequestScope scope) => scopes.GetOrAdd(scope.Key, _ => new ScopeLimits(timeProvider));

    public void Dispose()
    {
        foreach (var limits in scopes.Values)
        {
            limits.Dispose();
        }
    }
}

internal sealed class ScopeLimits(TimeProvider timeProvider) : IDisposable
{
    private readonly Lock gate = new();
    private readonly SemaphoreSlim writeGate = new(1, 1);
    private DateTimeOffset blockedUntil = DateTimeOffset.MinValue;
    private DateTimeOffset nextWriteAt = DateTimeOffset.MinValue;
    private int secondaryStrikes;

    /// <summary>How long requests of this scope must still hold off (zero when free).</summary>
    public TimeSpan RemainingBlock()
    {
        lock (gate)
        {
            var remaining = blockedUntil - timeProvider.GetUtcNow();
            return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
        }
    }

    public void BlockUntil(DateTimeOffset until)
    {
        lock (gate)
        {
            if (until > blockedUntil)
            {
                blockedUntil = until;
            }
        }
    }

    /// <summary>Counts a secondary-limit hit and returns how many came before it in a row.</summary>
    public int AddSecondaryStrike()
    {
        lock (gate)
        {
            return secondaryStrikes++;
        }
    }

    public void ClearSecondaryStrikes()
    {
        lock (gate)
        {
            secondaryStrikes = 0;
        }
    }

    /// <summary>
    /// Waits for this installation's write lane and for the spacing after the previous write. Dispose the result
    /// when the request is done; the next write may start <paramref name="interval"/> later.
    /// </summary>
    public async Task<IDisposable> EnterWriteLaneAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        await writeGate.WaitAsync(cancellationToken);
        try
        {
            TimeSpan wait;
            lock (gate)
            {
                wait = nextWriteAt - timeProvider.GetUtcNow();
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, timeProvider, cancellationToken);
            }

            return new WriteLane(this, interval);
        }
        catch
        {
            writeGate.Release();
            throw;
        }
    }

    public void Dispose() => writeGate.Dispose();

    private void LeaveWriteLane(TimeSpan interval)
    {
        lock (gate)
        {
            nextWriteAt = timeProvider.GetUtcNow() + interval;
        }

        writeGate.Release();
    }

    private sealed class WriteLane(ScopeLimits owner, TimeSpan interval) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.LeaveWriteLane(interval);
            }
        }
    }
}
