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

    /// <summary>What the heartbeat keeps alive: every held entry, but the running key only of jobs not yet released.</summary>
    public IReadOnlyCollection<HeldEntry> Snapshot() =>
        [.. jobs.Values.Select(job => new HeldEntry(job.StreamId, job.Released ? null : job.Delivery, job.Token))];

    public Task WhenAllAsync() => Task.WhenAll(jobs.Values.Select(job => job.Completion));
}

/// <summary>
/// One held entry. <see cref="Delivery"/> is set once the delivery's running key is ours; <see cref="Released"/> is
/// set before the script that ends the job (or lets go of the key) is sent, and from then on the heartbeat leaves
/// the running key alone: the job's own outcome is its one and last owner.
/// </summary>
internal sealed class InFlightJob(string streamId, string consumer)
{
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool released;

    public string StreamId { get; } = streamId;

    /// <summary>Identifies this consumer's claim on a delivery's running key.</summary>
    public string Token { get; } = TokenFor(consumer, streamId);

    public static string TokenFor(string consumer, string streamId) => $"{consumer}|{streamId}";

    public string? Delivery { get; set; }

    public bool Released => Volatile.Read(ref released);

    public void Release() => Volatile.Write(ref released, true);

    public Task Completion => completion.Task;

    public void Finished() => completion.TrySetResult();
}
