namespace Runner.Core.GitHub;

/// <summary>
/// Caches one value per key and lets concurrent callers of a missing or stale key share one fetch: 50 jobs that
/// need the same installation token cause one request to GitHub, not 50. Failed fetches are not cached.
/// </summary>
internal sealed class SingleFlightCache<TKey, TValue>
    where TKey : notnull
{
    private readonly Lock gate = new();
    private readonly Dictionary<TKey, Entry> entries = [];

    /// <param name="isFresh">Whether a cached value may still be handed out.</param>
    /// <param name="fetch">Runs detached from any single caller's cancellation, since other callers share it.</param>
    public Task<TValue> GetAsync(TKey key, Func<TValue, bool> isFresh, Func<Task<TValue>> fetch, CancellationToken cancellationToken)
    {
        Entry entry;
        var startFetch = false;
        lock (gate)
        {
            if (!entries.TryGetValue(key, out entry!) || (entry.HasValue && !isFresh(entry.Value!)))
            {
                entry = new Entry();
                entries[key] = entry;
                startFetch = true;
            }
        }

        if (startFetch)
        {
            _ = FetchAsync(key, entry, fetch);
        }

        return entry.Completion.Task.WaitAsync(cancellationToken);
    }

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

    private async Task FetchAsync(TKey key, Entry entry, Func<Task<TValue>> fetch)
    {
        try
        {
            var value = await fetch();
            lock (gate)
            {
                entry.Value = value;
                entry.HasValue = true;
            }

            entry.Completion.SetResult(value);
        }
        catch (Exception exception)
        {
            lock (gate)
            {
                if (entries.TryGetValue(key, out var current) && ReferenceEquals(current, entry))
                {
                    entries.Remove(key);
                }
            }

            entry.Completion.SetException(exception);
        }
    }

    private sealed class Entry
    {
        public TaskCompletionSource<TValue> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TValue? Value { get; set; }

        public bool HasValue { get; set; }
    }
}
