namespace Runner.Core.GitHub;

/// <summary>
/// The one single-flight helper: concurrent callers of one key share one piece of work. <see cref="GetAsync(TKey, Func{TValue, bool}, Func{CancellationToken, Task{TValue}}, CancellationToken)"/>
/// also keeps the value while it is fresh (50 jobs that need the same installation token cause one request to
/// GitHub, not 50); <see cref="RunAsync"/> only shares the work in flight (ten runs that need one commit's
/// tarball share one download). Failed work is never kept.
/// </summary>
/// <remarks>
/// The shared work runs detached from every caller's cancellation: a caller whose token fires stops waiting, and
/// the others keep waiting for the same result. The work's own token fires only when no caller waits any more,
/// and then the next caller starts afresh instead of joining abandoned work.
/// </remarks>
internal sealed class SingleFlightCache<TKey, TValue>
    where TKey : notnull
{
    private readonly Lock gate = new();
    private readonly Dictionary<TKey, Entry> entries = [];

    /// <param name="isFresh">Whether a cached value may still be handed out.</param>
    /// <param name="fetch">Shared by every caller of the key; never sees a caller's cancellation.</param>
    public Task<TValue> GetAsync(TKey key, Func<TValue, bool> isFresh, Func<Task<TValue>> fetch, CancellationToken cancellationToken) =>
        JoinAsync(key, isFresh, keep: true, _ => fetch(), cancellationToken);

    /// <param name="isFresh">Whether a cached value may still be handed out.</param>
    /// <param name="fetch">Shared by every caller of the key; its token fires only when every caller has stopped waiting.</param>
    public Task<TValue> GetAsync(TKey key, Func<TValue, bool> isFresh, Func<CancellationToken, Task<TValue>> fetch, CancellationToken cancellationToken) =>
        JoinAsync(key, isFresh, keep: true, fetch, cancellationToken);

    /// <summary>Shares <paramref name="work"/> with the callers of the same key while it runs; the result is not kept.</summary>
    /// <param name="work">Shared by every caller of the key; its token fires only when every caller has stopped waiting.</param>
    public Task<TValue> RunAsync(TKey key, Func<CancellationToken, Task<TValue>> work, CancellationToken cancellationToken) =>
        JoinAsync(key, static _ => false, keep: false, work, cancellationToken);

    /// <summary>Drops the cached value of <paramref name="key"/> when <paramref name="matches"/> says it is the bad one.</summary>
    public void Remove(TKey key, Func<TValue, bool> matches)
    {
        lock (gate)
        {
            if (entries.TryGetValue(key, out var entry) && entry.HasValue && matches(entry.Value!))
            {
                entries.Remove(key);
            }
        }
    }

    private async Task<TValue> JoinAsync(
        TKey key, Func<TValue, bool> isFresh, bool keep, Func<CancellationToken, Task<TValue>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Entry entry;
        var start = false;
        lock (gate)
        {
            if (!entries.TryGetValue(key, out entry!) || (entry.HasValue && !isFresh(entry.Value!)))
            {
                entry = new Entry();
                entries[key] = entry;
                start = true;
            }

            if (entry.HasValue)
            {
                return entry.Value!;
            }

            entry.Waiters++;
        }

        if (start)
        {
            _ = StartAsync(key, entry, work, keep);
        }

        try
        {
            return await entry.Completion.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Leave(key, entry);
        }
    }

    /// <summary>The last caller to stop waiting for unfinished work cancels it and forgets it.</summary>
    private void Leave(TKey key, Entry entry)
    {
        lock (gate)
        {
            if (--entry.Waiters > 0 || entry.Completion.Task.IsCompleted)
            {
                return;
            }

            Forget(key, entry);
        }

        // Outside the lock: cancellation callbacks run synchronously and may re-enter this class.
        entry.Abandon.Cancel();
    }

    private async Task StartAsync(TKey key, Entry entry, Func<CancellationToken, Task<TValue>> work, bool keep)
    {
        // Detached from the caller that happened to come first: its synchronous part and its context stay out of it.
        await Task.Yield();
        try
        {
            var value = await work(entry.Abandon.Token);
            lock (gate)
            {
                if (keep)
                {
                    entry.Value = value;
                    entry.HasValue = true;
                }
                else
                {
                    Forget(key, entry);
                }
            }

            entry.Completion.TrySetResult(value);
        }
        catch (Exception exception)
        {
            lock (gate)
            {
                Forget(key, entry);
            }

            entry.Completion.TrySetException(exception);
        }
    }

    private void Forget(TKey key, Entry entry)
    {
        if (entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
        {
            entries.Remove(key);
        }
    }

    private sealed class Entry
    {
        public TaskCompletionSource<TValue> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Fires when every caller has stopped waiting. Not disposed: it has no timer, and a late Cancel must not throw.</summary>
        public CancellationTokenSource Abandon { get; } = new();

        public int Waiters { get; set; }

        public TValue? Value { get; set; }

        public bool HasValue { get; set; }
    }
}
