using System.Collections.Concurrent;

namespace Runner.Core.Queue;

/// <summary>Entries this process holds, from the moment they are read until they are acked, scheduled or left.</summary>
internal sealed class InFlightJobs
{
    private readonly ConcurrentDictionary<string, InFlightJob> jobs = new(StringComparer.Ordinal);

    public int Count => jobs.Count;

    public bool Contains(string streamId) => jobs.ContainsKey(streamId);

    public bool TryAdd(InFlightJob job) => jobs.TryAdd(job.StreamId, job);

    public void Remove(string streamId) => jobs.TryRemove(streamId, out _);

    public IReadOnlyCollection<HeldEntry> Snapshot() =>
        [.. jobs.Values.Select(job => new HeldEntry(job.StreamId, job.Delivery, job.Token))];

    public Task WhenAllAsync() => Task.WhenAll(jobs.Values.Select(job => job.Completion));
}

/// <summary>One held entry. <see cref="Delivery"/> is set once the delivery's running key is ours.</summary>
internal sealed class InFlightJob(string streamId, string consumer)
{
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string StreamId { get; } = streamId;

    /// <summary>Identifies this consumer's claim on a delivery's running key.</summary>
    public string Token { get; } = $"{consumer}|{streamId}";

    public string? Delivery { get; set; }

    public Task Completion => completion.Task;

    public void Finished() => completion.TrySetResult();
}
